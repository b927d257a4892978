/**
 * Depthwise convolution gradients for the wasm backend, which has neither (stock wasm cannot
 * train MobileNet-style separable blocks). Both are rewritten as the stock XNNPACK depthwise
 * convolution; channel c with multiplier m lives at channel index c·M + m throughout.
 *
 * Input gradient: dy spread on the stride grid and padded, convolved depthwise (multiplier 1 over
 * C·M channels) with the 180°-rotated filter, then summed over the M multiplier slots of each c.
 *
 * Filter gradient: dW[fh, fw, c, m] = Σ_{n, oh, ow} x[n, oh·sh + fh·dh − top, ow·sw + fw·dw − left, c] · dy[n, oh, ow, c·M + m].
 * Folding n into the channels makes it one depthwise convolution of x as [1, H, W, N·C] with
 * dy as an [OH, OW, N·C, M] "filter" (stride = forward dilation, dilation = forward stride),
 * giving [FH, FW, N·C·M], then a sum over n.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { inputGradient } from './conv2d-backprop-input';
import { transpose } from './transpose';
import { depthwiseConv2d, release, reshape, slice, sum, type ExplicitPadding, type Info, type Shape4 } from './wasm-calls';
import { rotateFilter } from './zero-insert';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

export function depthwiseBackpropInput(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const [filterH, filterW, channels, multiplier] = filter.shape as Shape4;
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as Shape4, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  const owned: Info[] = [];
  try {
    const rotated = rotateFilter(backend, filter, false);
    owned.push(rotated);
    const perSlot = reshape(backend, rotated, [filterH, filterW, channels * multiplier, 1]);
    owned.push(perSlot);
    const dx = inputGradient(backend, dy, info, (input, pad) =>
      depthwiseConv2d(backend, input, perSlot, { strides: [1, 1], dilations: [info.dilationHeight, info.dilationWidth], pad }),
    );
    if (multiplier === 1) return dx;
    owned.push(dx);
    const [batch, height, width] = attrs.inputShape;
    const slots = reshape(backend, dx, [batch, height, width, channels, multiplier]);
    owned.push(slots);
    return sum(backend, slots, [4]);
  } finally {
    release(backend, ...owned);
  }
}

export function depthwiseBackpropFilter(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, attrs.filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const multiplier = attrs.filterShape[3];
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
    const xT = transpose(backend, input, [1, 2, 0, 3]);
    owned.push(xT);
    const xFolded = reshape(backend, xT, [1, usedH, usedW, batchSize * inChannels]);
    owned.push(xFolded);
    const dyT = transpose(backend, dy, [1, 2, 0, 3]);
    owned.push(dyT);
    const dyFolded = reshape(backend, dyT, [outHeight, outWidth, batchSize * inChannels, multiplier]);
    owned.push(dyFolded);
    const pad: ExplicitPadding = [
      [0, 0],
      [padInfo.top, spanH - padInfo.top - usedH],
      [padInfo.left, spanW - padInfo.left - usedW],
      [0, 0],
    ];
    const perImage = depthwiseConv2d(backend, xFolded, dyFolded, { strides: [dilationHeight, dilationWidth], dilations: [strideHeight, strideWidth], pad });
    owned.push(perImage);
    const byImage = reshape(backend, perImage, [filterHeight, filterWidth, batchSize, inChannels * multiplier]);
    owned.push(byImage);
    const summed = sum(backend, byImage, [2]);
    owned.push(summed);
    return reshape(backend, summed, attrs.filterShape);
  } finally {
    release(backend, ...owned);
  }
}

export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as tf.KernelFunc,
};

export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as tf.KernelFunc,
};
