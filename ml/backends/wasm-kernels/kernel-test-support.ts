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

/** The share of the model's largest gradient below which a parameter's gradient is rounding noise. */
const CANCELLATION_SCALE = 0.01;

/**
 * A training step's loss and gradients (`[loss, ...gradients]`, one per name in `parameters`)
 * agree with the oracle's: each within KERNEL_RTOL of that parameter's largest gradient.
 *
 * A floor applies where a gradient is mathematically zero: the shift (beta) of a batch norm whose
 * output another batch norm renormalises gets sums that cancel to rounding noise (~1e-7 in
 * MobileNetV2, beside gradients of ~100), whose digits no two summation orders share. Those are
 * held to 1e-4 relative of 1 % of the model's largest gradient instead.
 */
export function expectStepAgreement(
  label: string,
  actual: { values: Float32Array; shape: number[] }[],
  oracle: { values: Float32Array; shape: number[] }[],
  parameters: readonly string[],
): void {
  expect(actual).toHaveLength(parameters.length + 1);
  expect(oracle).toHaveLength(parameters.length + 1);
  const largest = oracle.slice(1).reduce((m, g) => g.values.reduce((n, v) => Math.max(n, Math.abs(v)), m), 0);
  const floor = KERNEL_RTOL * CANCELLATION_SCALE * largest;
  actual.forEach((a, i) =>
    i === 0
      ? expectClose(a, oracle[0]!, `${label} loss`)
      : expectClose(a, oracle[i]!, `${label} ${parameters[i - 1]}`, KERNEL_RTOL, floor),
  );
}
