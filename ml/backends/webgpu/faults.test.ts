/**
 * A GPU error is an event, not an exception (faults.ts): a training step during which the device
 * reported one must fail with the GPU's message instead of returning a loss, once; the next step
 * trains. Runs where Dawn finds an adapter (Mesa's llvmpipe on CI, forced), as webgpu.test.ts does.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { optimizerConfigSchema } from '../../../contract/index';
import { createOptimizer } from '../../optim/optimizers';
import { trainStep } from '../../train/train-step';
import { initBackend } from '../select';
import { chooseAdapter } from './adapters';
import { LoupeError } from '../../../contract/errors';
import { gpuFaultError, throwIfGpuFault } from './faults';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

function stepContext() {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
  return {
    model,
    loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) as tf.Scalar,
    parameters: model.trainableWeights.map((w) => ({
      name: w.name,
      variable: w.read() as tf.Variable,
      learningRateFactor: 1,
    })),
    optimizer: createOptimizer(optimizerConfigSchema.parse({ name: 'adam' })),
    learningRate: 0.01,
  };
}

describe.skipIf(!forced && process.env.CI !== 'true')(
  'GPU faults (forced WebGPU; on Mesa where there is no GPU)',
  () => {
    it('a step during which the device reported an error fails with its message, once', async () => {
      await initBackend('webgpu');
      await tf.setBackend('webgpu');
      const context = stepContext();
      const batch = { x: tf.ones([3, 4]), y: tf.zeros([3, 2]) } as never;
      await trainStep(context, batch);
      // A buffer past the device's limit: WebGPU answers with a validation error event.
      const device = (tf.backend() as unknown as { device: GPUDevice }).device;
      device.createBuffer({ size: 2 ** 40, usage: GPUBufferUsage.STORAGE });
      const failed = await trainStep(context, batch).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(LoupeError);
      expect(failed).toMatchObject({
        code: 'ENGINE_CRASHED',
        message: expect.stringMatching(
          /^The GPU refused a program or buffer \(a validation error\): Buffer size \(\d+\) exceeds .*\. The engine has been restarted\.$/,
        ),
      });
      // Reported once: the next step trains.
      expect(Number.isFinite((await trainStep(context, batch)).loss)).toBe(true);
      expect(() => throwIfGpuFault()).not.toThrow();
      context.optimizer.dispose();
    });

    it('an out-of-memory fault answers ENGINE_OUT_OF_MEMORY with what to lower', () => {
      const error = gpuFaultError('out-of-memory', 'Allocation failed');
      expect(error.code).toBe('ENGINE_OUT_OF_MEMORY');
      expect(error.message).toMatch(/^The GPU ran out of memory: Allocation failed\. Lower the batch size.*restarted/);
    });
  },
);
