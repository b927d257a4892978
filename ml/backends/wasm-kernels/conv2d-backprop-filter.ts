/**
 * Conv2DBackpropFilter for the wasm backend, which has none (so stock wasm cannot train a single
 * convolution), built on its fast XNNPACK Conv2D.
 *
 * dW[fh, fw, ci, co] = Σ_{n, oh, ow} x[n, oh·sh + fh·dh − top, ow·sw + fw·dw − left, ci] · dy[n, oh, ow, co]
 *
 * Read with ci as the batch, (h, w) as space and n as the channels, that is a convolution of
 * xᵀ = x transposed to [Cin, H, W, N] with the "filter" dyᵀ = dy transposed to [OH, OW, N, Cout],
 * whose stride is the forward dilation and whose dilation is the forward stride; it yields
 * [Cin, FH, FW, Cout], transposed back to [FH, FW, Cin, Cout]. The forward padding becomes
 * explicit padding of xᵀ; rows and columns the forward pass never read are cropped away first.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { transpose } from './transpose';
import { conv2d, release, requireNhwc, slice, type ExplicitPadding, type Info, type Shape4 } from './wasm-calls';

export function conv2dBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): Info {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  requireNhwc('Conv2DBackpropFilter', attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return filterGradient(backend, x, dy, info);
}

/** Shared with conv2d-transpose's filter gradient: everything is described by the forward conv. */
export function filterGradient(backend: BackendWasm, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } =
    info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  // Extent of x each output row/column of dW reads, counted from the padded top/left edge.
  const spanH = (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1;
  const spanW = (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1;
  const usedH = Math.min(inHeight, spanH - padInfo.top);
  const usedW = Math.min(inWidth, spanW - padInfo.left);
  const owned: Info[] = [];
  try {
    let input = x;
    if (usedH < inHeight || usedW < inWidth) {
      input = slice(backend, x, [0, 0, 0, 0], [batchSize, usedH, usedW, inChannels]);
      owned.push(input);
    }
    const xT = transpose(backend, input, [3, 1, 2, 0]);
    owned.push(xT);
    const dyT = transpose(backend, dy, [1, 2, 0, 3]);
    owned.push(dyT);
    const pad: ExplicitPadding = [
      [0, 0],
      [padInfo.top, spanH - padInfo.top - usedH],
      [padInfo.left, spanW - padInfo.left - usedW],
      [0, 0],
    ];
    const dW = conv2d(backend, xT, dyT, {
      strides: [dilationHeight, dilationWidth],
      dilations: [strideHeight, strideWidth],
      pad,
    });
    owned.push(dW);
    if (dW.shape[1] !== filterHeight || dW.shape[2] !== filterWidth || dW.shape[3] !== outChannels) {
      throw new Error(`Conv2DBackpropFilter produced ${dW.shape} for a ${filterHeight}×${filterWidth} filter.`);
    }
    return transpose(backend, dW, [1, 2, 0, 3]);
  } finally {
    release(backend, ...owned);
  }
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as tf.KernelFunc,
};
