/**
 * Loupe's wasm Conv2D gradient kernels against the `cpu` backend's, over a table of shapes,
 * strides, paddings and channel counts (the option-table style of tfjs-layers' tests).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { expectClose, runOn, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const CASES: ConvCase[] = [
  { input: [1, 5, 5, 1], filter: [3, 3, 1, 1], strides: 1, pad: 'same' },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'same' },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'valid' },
  { input: [3, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { input: [3, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { input: [2, 10, 10, 4], filter: [3, 3, 4, 5], strides: 2, pad: 'valid' },
  { input: [2, 10, 11, 4], filter: [2, 2, 4, 6], strides: 2, pad: 'same' },
  { input: [1, 12, 12, 2], filter: [5, 5, 2, 3], strides: 3, pad: 'same' },
  { input: [2, 9, 12, 3], filter: [3, 1, 3, 2], strides: [1, 2], pad: 'same' },
  { input: [2, 7, 7, 16], filter: [1, 1, 16, 32], strides: 1, pad: 'valid' },
  { input: [2, 8, 8, 16], filter: [1, 1, 16, 8], strides: 2, pad: 'valid' },
  {
    input: [2, 6, 6, 3],
    filter: [3, 3, 3, 4],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    input: [1, 7, 6, 2],
    filter: [3, 3, 2, 2],
    strides: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
  { input: [4, 16, 16, 32], filter: [3, 3, 32, 32], strides: 1, pad: 'same' },
  // Filter = stride, no padding: the input gradient is one product rearranged block by block.
  { input: [2, 8, 10, 3], filter: [2, 2, 3, 4], strides: 2, pad: 'valid' },
  { input: [2, 8, 8, 16], filter: [2, 2, 16, 32], strides: 2, pad: 'same' },
  { input: [1, 9, 6, 2], filter: [3, 2, 2, 5], strides: [3, 2], pad: 'valid' },
];

function label(c: ConvCase): string {
  return `x ${c.input} · W ${c.filter}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`;
}

function outputShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(c.input, c.filter, c.strides, 1, c.pad);
  return info.outShape;
}

describe('wasm Conv2D gradient kernels match cpu', () => {
  beforeAll(startWasmWithLoupeKernels);

  for (const c of CASES) {
    it(`Conv2DBackpropFilter and Conv2DBackpropInput: ${label(c)}`, async () => {
      const dyShape = outputShape(c);
      const x = seededValues(sizeOf(c.input), 1);
      const w = seededValues(sizeOf(c.filter), 2);
      const dy = seededValues(sizeOf(dyShape), 3);
      const compute = () => {
        const xT = tf.tensor(x, c.input);
        const dyT = tf.tensor(dy, dyShape);
        const dW = tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x: xT, dy: dyT },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter },
          ) as tf.Tensor;
        const dX = tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropInput,
            { dy: dyT, filter: tf.tensor(w, c.filter) },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.input },
          ) as tf.Tensor;
        return [dW, dX];
      };
      const [wasmDW, wasmDX] = await runOn('wasm', compute);
      const [cpuDW, cpuDX] = await runOn('cpu', compute);
      expectClose(wasmDW!, cpuDW!, 'dW');
      expectClose(wasmDX!, cpuDX!, 'dX');
    });
  }

  it('conv2dTranspose (forward through Conv2DBackpropInput) and its gradients', async () => {
    const x = seededValues(2 * 5 * 6 * 4, 4);
    const w = seededValues(3 * 3 * 3 * 4, 5);
    const compute = () => {
      const f = (input: tf.Tensor4D, filter: tf.Tensor4D) =>
        tf.conv2dTranspose(input, filter, [2, 10, 12, 3], 2, 'same');
      const input = tf.tensor4d(x, [2, 5, 6, 4]);
      const filter = tf.tensor4d(w, [3, 3, 3, 4]);
      const y = f(input, filter);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(f(a as tf.Tensor4D, b as tf.Tensor4D))),
      )([input, filter]);
      return [y, gx!, gw!];
    };
    const wasm = await runOn('wasm', compute);
    const cpu = await runOn('cpu', compute);
    for (let i = 0; i < cpu.length; i++) expectClose(wasm[i]!, cpu[i]!, ['y', 'dx', 'dW'][i]!);
  });
});
