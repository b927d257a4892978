/** The tiled JS transpose against the cpu backend's, over the permutations that take each path. */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, runOn, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';
import { mergeAxes, transpose } from './transpose';

const CASES: { shape: number[]; perm: number[] }[] = [
  { shape: [37, 45], perm: [1, 0] },
  { shape: [4, 33, 35, 3], perm: [3, 1, 2, 0] },
  { shape: [5, 9, 7, 16], perm: [1, 2, 0, 3] },
  { shape: [3, 9, 7, 64], perm: [0, 3, 1, 2] },
  { shape: [2, 5, 1, 6], perm: [3, 1, 2, 0] },
  { shape: [6, 40, 70], perm: [0, 2, 1] },
  { shape: [2, 3, 4, 5], perm: [2, 0, 3, 1] },
  { shape: [1, 1, 8], perm: [2, 0, 1] },
];

describe('JS transpose for wasm memory', () => {
  beforeAll(startWasmWithLoupeKernels);

  it('merges axes that stay neighbours', () => {
    expect(mergeAxes([64, 32, 32, 32], [1, 2, 0, 3])).toEqual({ dims: [64, 1024, 32], order: [1, 0, 2] });
    expect(mergeAxes([64, 32, 32, 3], [3, 1, 2, 0])).toEqual({ dims: [64, 1024, 3], order: [2, 1, 0] });
    expect(mergeAxes([2, 1, 5], [2, 1, 0])).toEqual({ dims: [2, 5], order: [1, 0] });
  });

  for (const { shape, perm } of CASES) {
    it(`shape ${shape}, perm ${perm}`, async () => {
      const values = seededValues(sizeOf(shape), 21);
      const wasm = await runOn('wasm', () => {
        const x = tf.tensor(values, shape);
        const backend = tf.backend() as BackendWasm;
        const info = transpose(backend, x, perm);
        return tf.engine().makeTensorFromTensorInfo(info);
      });
      const cpu = await runOn('cpu', () => tf.transpose(tf.tensor(values, shape), perm));
      expectClose(wasm[0]!, cpu[0]!, 'transpose', 0, 0);
    });
  }
});
