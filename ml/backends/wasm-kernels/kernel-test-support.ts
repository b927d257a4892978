/**
 * What the kernel tests share: the same seeded inputs on two backends, and a tolerance check.
 * Used only by *.test.ts files.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { seededRandom } from '../../../contract/random';
import { initBackend } from '../select';

/**
 * Float32 results of one computation on two backends differ by summation order only. Relative to
 * the largest reference magnitude, 1e-4 leaves ~10× headroom over what sums of a few thousand
 * products show here (the prototype measured 6e-5 for whole-model gradients).
 */
export const KERNEL_RTOL = 1e-4;
/** Absolute floor for all-zero or tiny references. */
export const KERNEL_ATOL = 1e-6;

/** Starts `wasm` with Loupe's kernels (as the engine does) and leaves it active. */
export async function startWasmWithLoupeKernels(): Promise<void> {
  await initBackend('wasm');
  await tf.setBackend('wasm');
}

/** Deterministic values in [-1, 1): the same inputs for every backend (mulberry32). */
export function seededValues(size: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: size }, () => random() * 2 - 1);
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `compute` with `backendName` active and returns its outputs' values and shapes. */
export async function runOn(
  backendName: string,
  compute: () => tf.Tensor | tf.Tensor[],
): Promise<{ values: Float32Array; shape: number[] }[]> {
  await tf.setBackend(backendName);
  const outputs = tf.tidy(() => {
    const result = compute();
    return Array.isArray(result) ? result : [result];
  });
  try {
    return await Promise.all(outputs.map(async (t) => ({ values: (await t.data()) as Float32Array, shape: t.shape })));
  } finally {
    tf.dispose(outputs);
  }
}

/** expectTensorsClose in the tfjs-layers style: same shape, |a − e| ≤ atol + rtol·max|e|. */
export function expectClose(
  actual: { values: Float32Array; shape: number[] },
  expected: { values: Float32Array; shape: number[] },
  label: string,
  rtol = KERNEL_RTOL,
  atol = KERNEL_ATOL,
): void {
  expect(actual.shape, `${label}: shape`).toEqual(expected.shape);
  let scale = 0;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  const limit = atol + rtol * scale;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.values.length; i++) {
    const diff = Math.abs(actual.values[i]! - expected.values[i]!);
    if (Number.isNaN(diff))
      expect.fail(`${label}: element ${i} is ${actual.values[i]}, ${expected.values[i]} expected`);
    if (diff > worst) {
      worst = diff;
      worstAt = i;
    }
  }
  if (!(worst <= limit)) {
    expect.fail(
      `${label}: element ${worstAt} is ${actual.values[worstAt]} but ${expected.values[worstAt]} is expected (|diff| ${worst.toExponential(2)} > ${limit.toExponential(2)})`,
    );
  }
}
