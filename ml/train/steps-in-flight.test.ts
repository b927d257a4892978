/**
 * Training steps issued before the previous one is read, as the training loop takes them on
 * WebGPU (epoch-steps.ts): the losses and outputs read back are those of steps awaited one by one
 * from the same weights, replayed steps included (step-replays.ts), and nothing is left behind.
 * Runs where Dawn finds an adapter (Mesa's llvmpipe on CI, forced), as the other WebGPU tests do.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backends/select';
import { chooseAdapter } from '../backends/webgpu/adapters';
import { expectClose, seededValues } from '../backends/wasm-kernels/kernel-test-support';
import { buildModel } from '../models/index';
import { releaseStepReplays, replaysChecked, stepReplayStatus } from './step-replays';
import { adamStepContext } from './train-test-support';
import { issueTrainStep, trainStep, type IssuedStep, type StepOutcome, type TrainStepContext } from './train-step';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

const STEPS = 7;

function trainer(): TrainStepContext & { dispose(): void } {
  const model = buildModel(
    { architecture: 'small-cnn' },
    { task: 'classification', inputShape: [16, 16, 1], numClasses: 2, seed: 0 },
  );
  const context = adamStepContext(model, { name: 'categoricalCrossentropy' }, 1e-2);
  return {
    ...context,
    dispose: () => {
      releaseStepReplays(model);
      context.optimizer.dispose();
      model.dispose();
    },
  };
}

describe.skipIf(!forced && process.env.CI !== 'true')(
  'training steps in flight on WebGPU (forced; on Mesa where there is no GPU)',
  { timeout: 120_000 },
  () => {
    beforeAll(async () => {
      await initBackend('webgpu');
    });

    it('read back, they give the losses and outputs of steps awaited one by one, and leave nothing behind', async () => {
      const batches = [0, 1].map((seed) => ({
        x: tf.tensor4d(seededValues(4 * 16 * 16, seed), [4, 16, 16, 1]),
        y: tf.oneHot(tf.tensor1d(seed ? [1, 0, 1, 1] : [0, 1, 0, 0], 'int32'), 2).toFloat(),
        size: 4,
      }));
      const [awaited, inFlight] = [trainer(), trainer()];
      try {
        const one: StepOutcome[] = [];
        for (let i = 0; i < STEPS; i++) {
          one.push(await trainStep(awaited, batches[i % 2]!));
          await replaysChecked(awaited.model);
        }
        const tensors = tf.memory().numTensors;
        const two: StepOutcome[] = [];
        const flight: IssuedStep[] = [];
        for (let i = 0; i < STEPS; i++) {
          flight.push(issueTrainStep(inFlight, batches[i % 2]!));
          if (flight.length > 1) two.push(await flight.shift()!.outcome());
          await replaysChecked(inFlight.model);
        }
        two.push(await flight.shift()!.outcome());
        // The in-flight model's own replay, the Adam slots it made and nothing else are new.
        expect(stepReplayStatus(inFlight.model)).toEqual([expect.objectContaining({ replayed: STEPS - 3 })]);
        expect(tf.memory().numTensors - tensors).toBe(2 * inFlight.parameters.length);
        const values = (steps: StepOutcome[]) => ({
          values: new Float32Array(steps.flatMap((s) => [s.loss, ...s.logits])),
          shape: [steps.length * 9],
        });
        expectClose(values(two), values(one), 'losses and outputs of steps in flight');
      } finally {
        awaited.dispose();
        inFlight.dispose();
        tf.dispose(batches.flatMap((b) => [b.x, b.y]));
      }
    });
  },
);
