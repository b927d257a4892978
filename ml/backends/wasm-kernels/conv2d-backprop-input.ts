/**
 * Conv2DBackpropInput for the wasm backend. Its stock kernel is a plain C++ loop outside XNNPACK;
 * this one is the textbook identity
 *
 *   dx = conv(dy spread on the stride grid and padded, filter rotated 180° with in/out swapped)
 *
 * evaluated by the stock XNNPACK Conv2D. The same kernel is the forward pass of conv2dTranspose.
 * With stride 1 no grid is needed: the border becomes XNNPACK's explicit padding (no copy).
 *
 * When the filter tiles the input exactly (filter = stride, no padding: U-Net's 2×2 stride-2
 * up-convolution), every dx pixel takes exactly one filter tap, and dx is one matrix product
 * dy·Wᵀ rearranged block by block: a quarter of the zero-inserted convolution's work at stride 2.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { transpose } from './transpose';
import { conv2d, release, requireNhwc, reshape, runStock, type Info, type Shape4 } from './wasm-calls';
import { blocksToSpace, rotateFilter, spreadOnGrid } from './zero-insert';

export function conv2dBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  requireNhwc('Conv2DBackpropInput', attrs.dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (tilesExactly(info)) return patchwiseInputGradient(backend, dy, filter, info);
  const rotated = rotateFilter(backend, filter, true);
  try {
    return inputGradient(backend, dy, info, (input, pad) =>
      conv2d(backend, input, rotated, { strides: [1, 1], dilations: [info.dilationHeight, info.dilationWidth], pad }),
    );
  } finally {
    release(backend, rotated);
  }
}

function tilesExactly(info: tf.backend_util.Conv2DInfo): boolean {
  const { padInfo } = info;
  return (
    info.filterHeight === info.strideHeight &&
    info.filterWidth === info.strideWidth &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    info.inHeight === info.outHeight * info.strideHeight &&
    info.inWidth === info.outWidth * info.strideWidth
  );
}

/** dx[n, oh·FH + a, ow·FW + b, ci] = Σ_co dy[n, oh, ow, co] · W[a, b, ci, co]. */
function patchwiseInputGradient(backend: BackendWasm, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info {
  const { batchSize, outHeight, outWidth, outChannels, inChannels, filterHeight, filterWidth } = info;
  const taps = filterHeight * filterWidth * inChannels;
  const owned: Info[] = [];
  try {
    const flatFilter = reshape(backend, filter, [taps, outChannels]);
    owned.push(flatFilter);
    const filterT = transpose(backend, flatFilter, [1, 0]);
    owned.push(filterT);
    const a = reshape(backend, dy, [1, batchSize * outHeight * outWidth, outChannels]);
    owned.push(a);
    const b = reshape(backend, filterT, [1, outChannels, taps]);
    owned.push(b);
    const product = runStock(backend, 'BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
    owned.push(product);
    const perPixel = reshape(backend, product, [batchSize, outHeight, outWidth, taps]);
    owned.push(perPixel);
    return blocksToSpace(backend, perPixel, filterHeight, filterWidth);
  } finally {
    release(backend, ...owned);
  }
}

type Pad = [[number, number], [number, number], [number, number], [number, number]];

/**
 * The layout half of an input gradient, shared with the depthwise kernel: places dy so that a
 * stride-1 convolution (`convolve`) with the rotated filter yields exactly inHeight × inWidth.
 */
export function inputGradient(
  backend: BackendWasm,
  dy: Info,
  info: tf.backend_util.Conv2DInfo,
  convolve: (input: Info, pad: Pad | 'valid') => Info,
): Info {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
  const top = (info.filterHeight - 1) * info.dilationHeight - padInfo.top;
  const left = (info.filterWidth - 1) * info.dilationWidth - padInfo.left;
  const rows = inHeight + (info.filterHeight - 1) * info.dilationHeight;
  const cols = inWidth + (info.filterWidth - 1) * info.dilationWidth;
  const bottom = rows - top - outHeight;
  const right = cols - left - outWidth;
  if (strideHeight === 1 && strideWidth === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
    return convolve(dy, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
  }
  const spread = spreadOnGrid(backend, dy, { strideH: strideHeight, strideW: strideWidth, top, left, rows, cols });
  try {
    return convolve(spread, 'valid');
  } finally {
    release(backend, spread);
  }
}

export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as tf.KernelFunc,
};
