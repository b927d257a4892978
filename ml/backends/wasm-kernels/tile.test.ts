/** The block-doubling Tile against the cpu backend's, for the patterns that take each path. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, runOn, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';
import { mergeTileAxes } from './tile';

const CASES: { shape: number[]; reps: number[] }[] = [
  // A batch norm's per-channel gradient broadcast to an activation.
  { shape: [1, 1, 1, 16], reps: [8, 32, 32, 1] },
  // Rows repeated within a row, a repeated middle axis, a column repeated, periods above one.
  { shape: [3, 5], reps: [2, 3] },
  { shape: [4, 1, 3], reps: [1, 5, 1] },
  { shape: [2, 3, 1], reps: [3, 1, 7] },
  { shape: [2, 3, 4], reps: [2, 2, 2] },
  { shape: [7], reps: [1] },
  { shape: [2, 0, 3], reps: [2, 2, 2] },
];

describe('Tile for wasm memory, by blocks', () => {
  beforeAll(startWasmWithLoupeKernels);

  it('merges neighbouring axes that are both repeated from one value, or both copied whole', () => {
    expect(mergeTileAxes([1, 1, 1, 16], [8, 32, 32, 1])).toEqual({
      size: [8192, 16],
      period: [1, 16],
      stride: [16, 1],
    });
    expect(mergeTileAxes([4, 5, 6], [1, 1, 2])).toEqual({ size: [20, 12], period: [20, 6], stride: [6, 1] });
    expect(mergeTileAxes([3, 5], [2, 3])).toEqual({ size: [6, 15], period: [3, 5], stride: [5, 1] });
  });

  for (const { shape, reps } of CASES) {
    it(`shape ${shape}, reps ${reps}: float32, int32 and bool`, async () => {
      const values = seededValues(sizeOf(shape), 5);
      const make = () => {
        const x = tf.tensor(values, shape);
        return [tf.tile(x, reps), tf.tile(tf.cast(tf.mul(x, 100), 'int32'), reps), tf.tile(tf.greater(x, 0), reps)];
      };
      const wasm = await runOn('wasm', make);
      const cpu = await runOn('cpu', make);
      wasm.forEach((tensor, i) => expectClose(tensor, cpu[i]!, `tile ${['float32', 'int32', 'bool'][i]}`, 0, 0));
    });
  }
});
