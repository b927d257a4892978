/**
 * Loupe's wasm depthwise-convolution gradient kernels against the `cpu` backend's, over a table
 * of shapes, multipliers, strides and paddings. tfjs's cpu depthwise gradients ignore
 * dilations, so dilated cases are checked against the definition written out below instead.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { expectClose, runOn, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface DepthwiseCase {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: Pad;
}

const CASES: DepthwiseCase[] = [
  { input: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, dilations: 1, pad: 'same' },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: 'valid' },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 2], strides: 1, dilations: 1, pad: 'same' },
  { input: [3, 9, 7, 4], filter: [3, 3, 4, 1], strides: 2, dilations: 1, pad: 'same' },
  { input: [2, 10, 10, 4], filter: [3, 3, 4, 3], strides: 2, dilations: 1, pad: 'valid' },
  { input: [2, 10, 11, 2], filter: [2, 2, 2, 1], strides: 2, dilations: 1, pad: 'same' },
  { input: [1, 12, 9, 3], filter: [5, 5, 3, 1], strides: [1, 2], dilations: 1, pad: 'same' },
  {
    input: [2, 6, 6, 3],
    filter: [3, 3, 3, 2],
    strides: 1,
    dilations: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { input: [4, 16, 16, 32], filter: [3, 3, 32, 1], strides: 1, dilations: 1, pad: 'same' },
  { input: [2, 9, 9, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 2, pad: 'same' },
  { input: [2, 11, 10, 2], filter: [3, 3, 2, 2], strides: 1, dilations: [2, 3], pad: 'valid' },
];

function label(c: DepthwiseCase): string {
  return `x ${c.input} · W ${c.filter}, strides ${c.strides}, dilations ${c.dilations}, pad ${JSON.stringify(c.pad)}`;
}

/** dW and dx straight from the definition of the depthwise convolution (float64 sums). */
function definitionGradients(c: DepthwiseCase, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const info = tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, c.dilations, c.pad, undefined, true);
  const [batch, height, width, channels] = c.input;
  const [fh, fw, , mult] = c.filter;
  const dW = new Float64Array(sizeOf(c.filter));
  const dX = new Float64Array(sizeOf(c.input));
  for (let n = 0; n < batch; n++)
    for (let oh = 0; oh < info.outHeight; oh++)
      for (let ow = 0; ow < info.outWidth; ow++)
        for (let i = 0; i < fh; i++)
          for (let j = 0; j < fw; j++) {
            const h = oh * info.strideHeight + i * info.dilationHeight - info.padInfo.top;
            const v = ow * info.strideWidth + j * info.dilationWidth - info.padInfo.left;
            if (h < 0 || h >= height || v < 0 || v >= width) continue;
            for (let ch = 0; ch < channels; ch++)
              for (let m = 0; m < mult; m++) {
                const g = dy[((n * info.outHeight + oh) * info.outWidth + ow) * channels * mult + ch * mult + m]!;
                const xi = ((n * height + h) * width + v) * channels + ch;
                const wi = ((i * fw + j) * channels + ch) * mult + m;
                dW[wi]! += x[xi]! * g;
                dX[xi]! += w[wi]! * g;
              }
          }
  return [
    { values: Float32Array.from(dW), shape: [...c.filter] },
    { values: Float32Array.from(dX), shape: [...c.input] },
  ];
}

describe('wasm depthwise gradient kernels match cpu (or the definition, when dilated)', () => {
  beforeAll(startWasmWithLoupeKernels);

  for (const c of CASES) {
    it(label(c), async () => {
      const dyShape = tf.backend_util.computeConv2DInfo(
        c.input,
        c.filter,
        c.strides,
        c.dilations,
        c.pad,
        undefined,
        true,
      ).outShape;
      const x = seededValues(sizeOf(c.input), 11);
      const w = seededValues(sizeOf(c.filter), 12);
      const dy = seededValues(sizeOf(dyShape), 13);
      const compute = () => {
        const dyT = tf.tensor(dy, dyShape);
        const attrs = { strides: c.strides, dilations: c.dilations, pad: c.pad };
        const dW = tf
          .engine()
          .runKernel(
            tf.DepthwiseConv2dNativeBackpropFilter,
            { x: tf.tensor(x, c.input), dy: dyT },
            { ...attrs, filterShape: c.filter },
          ) as tf.Tensor;
        const dX = tf
          .engine()
          .runKernel(
            tf.DepthwiseConv2dNativeBackpropInput,
            { dy: dyT, filter: tf.tensor(w, c.filter) },
            { ...attrs, inputShape: c.input },
          ) as tf.Tensor;
        return [dW, dX];
      };
      const [wasmDW, wasmDX] = await runOn('wasm', compute);
      const dilated = c.dilations !== 1;
      const [refDW, refDX] = dilated ? definitionGradients(c, x, w, dy) : await runOn('cpu', compute);
      expectClose(wasmDW!, refDW!, 'dW');
      expectClose(wasmDX!, refDX!, 'dX');
    });
  }
});
