/**
 * What the oneDNN kernel tests against the wasm oracle share: one computation run on tfjs's wasm
 * backend with Loupe's wasm kernels (native kernels off) and again with the addon's, compared
 * within KERNEL_RTOL, and the 60 s hang guard. Used only by *.test.ts files.
 *
 * CI builds the addon (.ci/run installs libdnnl-dev), so there a missing addon fails the tests; a
 * developer's machine without oneDNN skips them.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { initBackend } from '../select';
import { expectClose, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
import { loadOneDnn } from './addon';
import { setNativeKernels } from './kernels';

export const { addon: ONEDNN_ADDON, reason: ONEDNN_REASON } = loadOneDnn();
export const ONEDNN_REQUIRED = process.env.CI === 'true';

/** A hang guard, not a speed claim: the whole-model cases take seconds on a busy machine. */
export const ORACLE_CASE_TIMEOUT_MS = 60_000;

export type Values = { values: Float32Array; shape: number[]; dtype: tf.DataType };

export async function startOneDnn(): Promise<void> {
  if (!ONEDNN_ADDON) throw new Error(`CI builds the oneDNN addon, but ${ONEDNN_REASON}`);
  const info = await initBackend('onednn');
  expect(info.backend).toBe('onednn');
}

/** Runs `compute` on wasm with the native kernels on or off; outputs as float32 values. */
export async function runWith(native: boolean, compute: () => tf.Tensor[]): Promise<Values[]> {
  setNativeKernels(native);
  try {
    const outputs = tf.tidy(compute);
    try {
      return await Promise.all(
        outputs.map(async (t) => ({ values: Float32Array.from(await t.data()), shape: t.shape, dtype: t.dtype })),
      );
    } finally {
      tf.dispose(outputs);
    }
  } finally {
    setNativeKernels(true);
  }
}

/** The computation's outputs with the addon's kernels agree with the wasm oracle's, dtype included. */
export async function expectSameAsOracle(label: string, compute: () => tf.Tensor[]): Promise<void> {
  const oracle = await runWith(false, compute);
  const native = await runWith(true, compute);
  native.forEach((n, i) => {
    expect(n.dtype, `${label} [output ${i}] dtype`).toBe(oracle[i]!.dtype);
    expectClose(n, oracle[i]!, `${label} [output ${i}]`);
  });
}

/** The op's value and its gradients with respect to every input, for a seeded upstream gradient. */
export function withGradients(inputs: tf.Tensor[], op: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor[] {
  const y = op(...inputs);
  const dy = tf.tensor(seededValues(y.size, 97), y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) =>
    op(...xs)
      .mul(dy)
      .sum(),
  )(inputs);
  return [y, ...grads];
}

/** Seeded values in [-1, 1), or in [low, low + 1) where an op needs them positive. */
export function seeded(shape: number[], seed: number, low?: number): tf.Tensor {
  const values = seededValues(sizeOf(shape), seed);
  return tf.tensor(low === undefined ? values : values.map((v) => low + (v + 1) / 2), shape);
}
