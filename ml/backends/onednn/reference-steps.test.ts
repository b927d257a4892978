/**
 * Issue 14 on the reference models (small CNN, ResNet-18, MobileNetV2, U-Net, the CenterNet
 * detector, the Siamese net; small inputs, reference-steps.ts): one training step on the
 * `onednn` backend computes on wasm nowhere (fallback count 0; views do not count), and the loss
 * and every parameter's gradient agree with the wasm oracle (Loupe's wasm kernels) within
 * KERNEL_RTOL of the largest gradient of that parameter (expectStepAgreement, with its floor for
 * gradients that are zero but for rounding).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectStepAgreement } from '../wasm-kernels/kernel-test-support';
import { fallbackCount, measureCoverage } from './coverage';
import { ONEDNN_ADDON, ONEDNN_REQUIRED, ORACLE_CASE_TIMEOUT_MS, runWith, startOneDnn } from './oracle-test-support';
import { REFERENCE_MODELS, referenceStep } from './reference-steps';

describe.skipIf(!ONEDNN_ADDON && !ONEDNN_REQUIRED)(
  'reference models on the oneDNN backend',
  { timeout: ORACLE_CASE_TIMEOUT_MS },
  () => {
    beforeAll(startOneDnn);

    it.each(REFERENCE_MODELS)('%s: one training step runs no op on wasm', async (name) => {
      const reference = referenceStep(name);
      try {
        await reference.step();
        const coverage = await measureCoverage(async () => void (await reference.step()));
        expect(coverage.fallbacks).toEqual({});
        expect(fallbackCount(coverage)).toBe(0);
        expect(coverage.native).toBeGreaterThan(0);
      } finally {
        reference.dispose();
      }
    });

    it.each(REFERENCE_MODELS)('%s: loss and gradients of a training step agree with the wasm oracle', async (name) => {
      const before = tf.memory().numTensors;
      const reference = referenceStep(name);
      try {
        const oracle = await runWith(false, () => reference.gradients());
        const native = await runWith(true, () => reference.gradients());
        expectStepAgreement(
          name,
          native,
          oracle,
          reference.parameters.map((p) => p.name),
        );
      } finally {
        reference.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  },
);
