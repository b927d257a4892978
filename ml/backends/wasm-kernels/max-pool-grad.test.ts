/** wasm MaxPoolGrad against the cpu backend's, including ties (ReLU zeros) and padding. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { expectClose, runOn, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';

type Pad = 'same' | 'valid' | number;
const CASES: {
  input: [number, number, number, number];
  filter: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  ties?: boolean;
}[] = [
  { input: [1, 4, 4, 1], filter: 2, strides: 2, pad: 'valid' },
  { input: [2, 8, 8, 3], filter: 2, strides: 2, pad: 'valid', ties: true },
  { input: [2, 9, 7, 4], filter: 2, strides: 2, pad: 'same' },
  { input: [2, 9, 7, 4], filter: 3, strides: 2, pad: 'same', ties: true },
  { input: [3, 10, 10, 16], filter: 3, strides: 1, pad: 'same' },
  { input: [1, 11, 6, 2], filter: [3, 2], strides: [2, 1], pad: 'valid' },
  { input: [2, 7, 7, 5], filter: 3, strides: 2, pad: 1 },
];

describe('wasm MaxPoolGrad matches cpu', () => {
  beforeAll(startWasmWithLoupeKernels);

  for (const c of CASES) {
    it(`x ${c.input}, window ${c.filter}, strides ${c.strides}, pad ${c.pad}${c.ties ? ', with ties' : ''}`, async () => {
      const raw = seededValues(sizeOf(c.input), 41);
      // Ties: ReLU leaves whole windows of zeros, and the first maximum must win.
      const x = c.ties ? raw.map((v) => Math.max(0, v)) : raw;
      const compute = () => {
        const input = tf.tensor4d(x, c.input);
        return tf.grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.maxPool(t as tf.Tensor4D, c.filter, c.strides, c.pad),
              tf
                .range(1, 1 + sizeOf(tf.maxPool(input, c.filter, c.strides, c.pad).shape))
                .reshape(tf.maxPool(input, c.filter, c.strides, c.pad).shape),
            ),
          ),
        )(input);
      };
      const wasm = await runOn('wasm', compute);
      const cpu = await runOn('cpu', compute);
      expectClose(wasm[0]!, cpu[0]!, 'dx');
    });
  }
});
