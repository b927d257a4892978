/** wasm Sum/Mean over leading axes against cpu, and the axis patterns that must go elsewhere. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, runOn, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';
import { leadingAxes } from './reduce-leading-axes';

const CASES: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
  { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
  { shape: [4, 5, 6, 7], axis: [2, 0, 1], keepDims: true },
  { shape: [9, 3], axis: 0, keepDims: false },
  { shape: [2, 3, 4], axis: [-3, -2], keepDims: false },
  { shape: [4, 5, 6, 7], axis: [1, 2], keepDims: false },
  { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false },
  { shape: [6, 1, 1, 3], axis: [0, 1, 2], keepDims: true },
];

describe('wasm Sum and Mean over leading axes match cpu', () => {
  beforeAll(startWasmWithLoupeKernels);

  it('recognises a leading run of axes only', () => {
    expect(leadingAxes([0, 1, 2], 4)).toBe(3);
    expect(leadingAxes([1, 0], 3)).toBe(2);
    expect(leadingAxes([-4, -3], 4)).toBe(2);
    expect(leadingAxes([1, 2], 4)).toBe(0);
    expect(leadingAxes([0, 1, 2], 3)).toBe(0);
  });

  for (const c of CASES) {
    it(`shape ${c.shape}, axis ${c.axis}, keepDims ${c.keepDims}`, async () => {
      const values = seededValues(sizeOf(c.shape), 71);
      const compute = () => {
        const x = tf.tensor(values, c.shape);
        return [tf.sum(x, c.axis, c.keepDims), tf.mean(x, c.axis, c.keepDims)];
      };
      const wasm = await runOn('wasm', compute);
      const cpu = await runOn('cpu', compute);
      expectClose(wasm[0]!, cpu[0]!, 'sum');
      expectClose(wasm[1]!, cpu[1]!, 'mean');
    });
  }
});
