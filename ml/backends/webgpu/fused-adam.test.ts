/**
 * Adam on WebGPU takes Loupe's fused kernel (fused-adam.ts): three steps of Adam and of AdamW
 * must leave the parameters and both moments where the tensor-op path leaves them on cpu. Runs
 * where Dawn finds an adapter (Mesa's llvmpipe on CI, forced), as webgpu.test.ts does.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { optimizerConfigSchema } from '../../../contract/index';
import { FUSED_ADAM } from '../../optim/fused-adam';
import { createOptimizer, type Parameter } from '../../optim/optimizers';
import { initBackend } from '../select';
import { expectClose, seededValues } from '../wasm-kernels/kernel-test-support';
import { chooseAdapter } from './adapters';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

// [0, 3]: an empty parameter (no program runs; its outputs are empty, as tfjs leaves them).
const SHAPES = [[3, 3, 4, 8], [8], [130, 7], [0, 3]];
/** More threads than 65,535 workgroups of 64 hold: the program's grid takes a second dimension. */
const LARGE = [[2049, 2049]];

/** Parameters and moments after three steps with seeded gradients, read back from `backend`. */
async function afterThreeSteps(
  backend: string,
  config: object,
  shapes = SHAPES,
): Promise<{ values: Float32Array; shape: number[] }[]> {
  await tf.setBackend(backend);
  const optimizer = createOptimizer(optimizerConfigSchema.parse(config));
  const parameters: Parameter[] = shapes.map((shape, i) => ({
    name: `w${i}`,
    variable: tf.variable(
      tf.tensor(
        seededValues(
          shape.reduce((a, b) => a * b),
          20 + i,
        ),
        shape,
      ),
      true,
      `adam_${backend}_${i}`,
    ),
    learningRateFactor: i === 1 ? 0.1 : 1,
  }));
  for (let step = 0; step < 3; step++) {
    const gradients = new Map(
      parameters.map((p, i) => [
        p.name,
        tf.tensor(seededValues(p.variable.size, 40 + 10 * step + i), p.variable.shape),
      ]),
    );
    optimizer.apply(parameters, gradients, 0.01);
    tf.dispose([...gradients.values()]);
  }
  const read = await Promise.all(
    parameters.map(async (p) => ({ values: (await p.variable.data()) as Float32Array, shape: p.variable.shape })),
  );
  optimizer.dispose();
  parameters.forEach((p) => p.variable.dispose());
  return read;
}

describe.skipIf(!forced && process.env.CI !== 'true')('Adam on WebGPU (forced; on Mesa where there is no GPU)', () => {
  it.each([
    { name: 'adam', weightDecay: 0 },
    { name: 'adam', weightDecay: 0.01 },
    { name: 'adamw', weightDecay: 0.05 },
  ])('$name, weight decay $weightDecay: the fused kernel gives the tensor-op path’s parameters', async (config) => {
    await initBackend('webgpu');
    expect(tf.getKernel(FUSED_ADAM, 'webgpu')).toBeDefined();
    const gpu = await afterThreeSteps('webgpu', config);
    const cpu = await afterThreeSteps('cpu', config);
    gpu.forEach((values, i) => expectClose(values, cpu[i]!, `${config.name} parameter ${i}`));
  });

  it('a parameter of 4.2 million values (a two-dimensional grid of workgroups)', async () => {
    await initBackend('webgpu');
    const config = { name: 'adam', weightDecay: 0 };
    const [gpu] = await afterThreeSteps('webgpu', config, LARGE);
    const [cpu] = await afterThreeSteps('cpu', config, LARGE);
    expectClose(gpu!, cpu!, 'large parameter');
  }, 60_000);
});
