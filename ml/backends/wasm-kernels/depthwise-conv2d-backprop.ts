/**
 * Depthwise convolution gradients for the wasm backend, which has neither (stock wasm cannot
 * train MobileNet-style separable blocks). Both are rewritten as the stock XNNPACK depthwise
 * convolution; channel c with multiplier m lives at channel index c·M + m throughout.
 *
 * Input gradient: dy spread on the stride grid and padded, convolved depthwise (multiplier 1 over
 * C·M channels) with the 180°-rotated filter, then summed over the M multiplier slots of each c.
 *
 * Filter gradient: dW[fh, fw, c, m] = Σ_{n, oh, ow} x[n, oh·sh + fh·dh − top, ow·sw + fw·dw − left, c] · dy[n, oh, ow, c·M + m],
 * summed straight from the definition in one pass over dy. (Folding n into the channels makes it
 * a depthwise convolution with dy as an OH×OW "filter", but XNNPACK has no depthwise kernel that
 * large and falls back to one tiny GEMM per channel: 5–15× slower than this loop, measured on
 * MobileNetV2-sized layers.)
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { inputGradient } from './conv2d-backprop-input';
import { depthwiseConv2d, heapView, release, reshape, sum, type Info, type Shape4 } from './wasm-calls';
import { rotateFilter } from './zero-insert';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

export function depthwiseBackpropInput(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const [filterH, filterW, channels, multiplier] = filter.shape as Shape4;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const owned: Info[] = [];
  try {
    const rotated = rotateFilter(backend, filter, false);
    owned.push(rotated);
    const perSlot = reshape(backend, rotated, [filterH, filterW, channels * multiplier, 1]);
    owned.push(perSlot);
    const dx = inputGradient(backend, dy, info, (input, pad) =>
      depthwiseConv2d(backend, input, perSlot, {
        strides: [1, 1],
        dilations: [info.dilationHeight, info.dilationWidth],
        pad,
      }),
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
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const multiplier = attrs.filterShape[3];
  const perTap = channels * multiplier;
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  const xs = heapView(backend, x);
  const gs = heapView(backend, dy);
  // Float64 sums over N·OH·OW products, like the cpu backend's JS-number sums.
  const acc = new Float64Array(filterHeight * filterWidth * perTap);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const g = ((n * outHeight + oh) * outWidth + ow) * perTap;
        for (let i = 0; i < filterHeight; i++) {
          const h = oh * strideHeight + i * dilationHeight - padInfo.top;
          if (h < 0 || h >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const w = ow * strideWidth + j * dilationWidth - padInfo.left;
            if (w < 0 || w >= inWidth) continue;
            const xBase = ((n * inHeight + h) * inWidth + w) * channels;
            const tap = (i * filterWidth + j) * perTap;
            if (multiplier === 1) {
              for (let c = 0; c < channels; c++) acc[tap + c]! += xs[xBase + c]! * gs[g + c]!;
            } else {
              for (let c = 0; c < channels; c++) {
                const xv = xs[xBase + c]!;
                for (let m = 0; m < multiplier; m++) acc[tap + c * multiplier + m]! += xv * gs[g + c * multiplier + m]!;
              }
            }
          }
        }
      }
    }
  }
  heapView(backend, out).set(acc);
  return out;
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
