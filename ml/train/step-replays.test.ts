/**
 * Training steps replayed from a capture of their GPU commands (step-replays.ts) on WebGPU: each
 * reference model's replayed step, on a batch it was not captured with, gives the loss, outputs,
 * gradients and moving averages that tfjs's tape gives for that batch and those weights. Runs where
 * Dawn finds an adapter (Mesa's llvmpipe on CI, forced), as the other WebGPU tests do.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_MODELS, referenceStep, type ReferenceModel } from '../backends/onednn/reference-steps';
import { initBackend } from '../backends/select';
import { chooseAdapter } from '../backends/webgpu/adapters';
import { throwIfGpuFault } from '../backends/webgpu/faults';
import { expectClose, expectStepAgreement } from '../backends/wasm-kernels/kernel-test-support';
import type { LossFunction } from '../losses/index';
import {
  replaysChecked,
  stepGradients,
  stepReplaySetting,
  stepReplayStatus,
  releaseStepReplays,
  type StepGradients,
} from './step-replays';
import { tapeGradients } from './train-step';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

type Values = { values: Float32Array; shape: number[] };

async function valuesOf(tensors: tf.Tensor[]): Promise<Values[]> {
  return Promise.all(tensors.map(async (t) => ({ values: (await t.data()) as Float32Array, shape: t.shape })));
}

/** The loss, outputs and gradients (in `variables`' order) as values; the tensors are disposed. */
async function read(result: StepGradients, variables: tf.Variable[]): Promise<Values[]> {
  const tensors = [result.value, result.logits, ...variables.map((v) => result.grads[v.name]!)];
  const values = await valuesOf(tensors);
  tf.dispose(tensors);
  return values;
}

const dispose = (r: StepGradients) => tf.dispose([r.value, r.logits, ...Object.values(r.grads)]);

const notReplayed = (): StepGradients => {
  throw new Error('the step was computed through the tape, not replayed');
};

describe.skipIf(!forced && process.env.CI !== 'true')(
  'training steps replayed on WebGPU (forced; on Mesa where there is no GPU)',
  { timeout: 120_000 },
  () => {
    beforeAll(async () => {
      await initBackend('webgpu');
    });
    afterEach(() => {
      stepReplaySetting.enabled = true;
    });

    it.each(REFERENCE_MODELS)('%s: a replayed step on a new batch equals the tape’s', async (name: ReferenceModel) => {
      const reference = referenceStep(name);
      const { model, loss, batch } = reference;
      const variables = reference.parameters.map((p) => p.variable);
      try {
        // A plain step, then two captures; the update between them changes the weights.
        for (let i = 0; i < 3; i++) await reference.step();
        // Dawn says within milliseconds whether the replay's buffers found memory; until then steps go through the tape.
        await replaysChecked(model);
        expect(stepReplayStatus(model)).toEqual([expect.objectContaining({ replayed: 0 })]);
        expect(stepReplayStatus(model)[0]!.refused).toBeUndefined();

        const x = tf.tidy(() => batch.x.mul(-0.5).add(0.25)) as tf.Tensor4D;
        const before = model.nonTrainableWeights.map((w) => w.read().clone());
        const replayed = await read(stepGradients(model, loss, variables, { ...batch, x }, notReplayed), variables);
        const movedByReplay = await valuesOf(model.nonTrainableWeights.map((w) => w.read()));
        expect(stepReplayStatus(model)[0]!.replayed).toBe(1);
        expect(() => throwIfGpuFault()).not.toThrow();

        model.nonTrainableWeights.forEach((w, i) => w.write(before[i]!));
        const tape = await read(tapeGradients(model, loss, variables, { ...batch, x }), variables);
        const movedByTape = await valuesOf(model.nonTrainableWeights.map((w) => w.read()));
        tf.dispose([x, ...before]);

        expectStepAgreement(
          name,
          [replayed[0]!, ...replayed.slice(2)],
          [tape[0]!, ...tape.slice(2)],
          variables.map((v) => v.name),
        );
        expectClose(replayed[1]!, tape[1]!, `${name} outputs`);
        movedByTape.forEach((m, i) =>
          expectClose(movedByReplay[i]!, m, `${name} ${model.nonTrainableWeights[i]!.name}`),
        );
      } finally {
        releaseStepReplays(model);
        reference.dispose();
      }
    });

    it('a batch of another shape, or a step under tf.profile, runs through the tape; the other shape is replayed once its own steps repeat', async () => {
      const reference = referenceStep('small CNN');
      const { model, loss, batch } = reference;
      const variables = reference.parameters.map((p) => p.variable);
      const short = { x: batch.x.slice(0, 2) as tf.Tensor4D, y: batch.y.slice(0, 2), size: 2 };
      try {
        for (let i = 0; i < 3; i++) await reference.step();
        await replaysChecked(model);
        await reference.step();
        const shapes = () => stepReplayStatus(model).map((s) => s.replayed);
        expect(shapes()).toEqual([1]);
        // Under tf.profile the step goes through the tape, so that the profile sees its kernels.
        let taped = 0;
        await tf.profile(() =>
          dispose(
            stepGradients(model, loss, variables, batch, () => (taped++, tapeGradients(model, loss, variables, batch))),
          ),
        );
        expect([taped, ...shapes()]).toEqual([1, 1]);
        // Replayed steps (the engine's whole step, update included) hold no tensor or GPU memory past their end.
        const memory = () => {
          const { numTensors, numBytesInGPU } = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
          return { numTensors, numBytesInGPU };
        };
        await reference.step();
        const before = memory();
        for (let i = 0; i < 10; i++) await reference.step();
        expect(memory()).toEqual(before);
        expect(shapes()).toEqual([12]);
        for (let i = 0; i < 3; i++)
          dispose(stepGradients(model, loss, variables, short, () => tapeGradients(model, loss, variables, short)));
        await replaysChecked(model);
        expect(shapes()).toEqual([12, 0]);
        const replayed = await read(stepGradients(model, loss, variables, short, notReplayed), variables);
        const tape = await read(tapeGradients(model, loss, variables, short), variables);
        expect(shapes()).toEqual([12, 1]);
        expectStepAgreement(
          'short batch',
          [replayed[0]!, ...replayed.slice(2)],
          [tape[0]!, ...tape.slice(2)],
          variables.map((v) => v.name),
        );
      } finally {
        tf.dispose([short.x, short.y]);
        releaseStepReplays(model);
        reference.dispose();
      }
    });

    it('a replay whose buffers the GPU found no memory for is dropped, and the steps go on through the tape', async () => {
      const reference = referenceStep('small CNN');
      const device = (tf.backend() as unknown as { device: GPUDevice }).device;
      const pop = device.popErrorScope.bind(device);
      // Dawn answers the replay's error scope with an out-of-memory error.
      Object.assign(device, { popErrorScope: () => pop().then(() => ({ message: 'Out of memory' }) as GPUError) });
      try {
        for (let i = 0; i < 3; i++) await reference.step();
        await replaysChecked(reference.model);
        delete (device as unknown as Record<string, unknown>).popErrorScope;
        const losses = [await reference.step(), await reference.step()];
        expect(stepReplayStatus(reference.model)).toEqual([
          expect.objectContaining({ replayed: 0, refused: 'the GPU has no memory left for a copy of the step' }),
        ]);
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(() => throwIfGpuFault()).not.toThrow();
      } finally {
        delete (device as unknown as Record<string, unknown>).popErrorScope;
        releaseStepReplays(reference.model);
        reference.dispose();
      }
    });

    it('a loss made anew for each batch (distillation’s) or one that reads values is never replayed; nor is any step when turned off', async () => {
      const reference = referenceStep('small CNN');
      const { model, loss, batch } = reference;
      const variables = reference.parameters.map((p) => p.variable);
      try {
        for (let i = 0; i < 6; i++) {
          const perBatch: LossFunction = (y, output) => loss(y, output);
          dispose(
            stepGradients(model, perBatch, variables, batch, () => tapeGradients(model, perBatch, variables, batch)),
          );
        }
        expect(stepReplayStatus(model)).toEqual([
          expect.objectContaining({ replayed: 0, refused: 'the loss changes from batch to batch' }),
        ]);
        releaseStepReplays(model);
        // A loss whose JavaScript reads values (here a constant's, cached on the CPU) could act on the batch.
        const reads: LossFunction = (y, output) => loss(y, output).mul(tf.scalar(1).dataSync()[0]!);
        for (let i = 0; i < 4; i++)
          dispose(stepGradients(model, reads, variables, batch, () => tapeGradients(model, reads, variables, batch)));
        expect(stepReplayStatus(model)).toEqual([
          expect.objectContaining({ replayed: 0, refused: 'it reads tensor values' }),
        ]);
        releaseStepReplays(model);
        stepReplaySetting.enabled = false;
        for (let i = 0; i < 4; i++)
          dispose(stepGradients(model, loss, variables, batch, () => tapeGradients(model, loss, variables, batch)));
        expect(stepReplayStatus(model)).toEqual([]);
      } finally {
        releaseStepReplays(model);
        reference.dispose();
      }
    });
  },
);
