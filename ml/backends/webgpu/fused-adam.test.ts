/**
 * Adam on WebGPU takes Loupe's fused kernel (fused-adam.ts): three steps of Adam and of AdamW
 * must leave the parameters and both moments where the tensor-op path leaves them on cpu. Runs
 * where Dawn finds an adapter (Mesa's llvmpipe on CI, forced), as webgpu.test.ts does.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { optimizerConfigSchema } from '../../../contract/index';
import { FUSED_ADAM, FUSED_ADAM_PAIR } from '../../optim/fused-adam';
import { createOptimizer, type Parameter } from '../../optim/optimizers';
import { initBackend } from '../select';
import { expectClose, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
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

  it('two parameters a program, in place; a pair with a parameter another tensor shares gets new buffers, the sharer keeps its values', async () => {
    await initBackend('webgpu');
    await tf.setBackend('webgpu');
    const config = optimizerConfigSchema.parse({ name: 'adam' });
    const make = (shape: number[], seed: number) => {
      const initial = tf.tensor(seededValues(sizeOf(shape), seed), shape);
      const variable = tf.variable(initial);
      initial.dispose();
      return variable;
    };
    const parameters: Parameter[] = [[3, 5], [7], [2, 2, 3], [4, 3]].map((shape, i) => ({
      name: `q${i}`,
      variable: make(shape, 60 + i),
      learningRateFactor: 1,
    }));
    const before = await Promise.all(parameters.map((p) => p.variable.data()));
    const gradients = new Map(
      parameters.map((p, i) => [p.name, tf.tensor(seededValues(p.variable.size, 70 + i), p.variable.shape)]),
    );
    const optimizer = createOptimizer(config);
    // The first update makes Adam's moments (their zeros still share a buffer then), the second is timed.
    optimizer.apply(parameters, gradients, 0.01);
    const shared = tf.clone(parameters[2]!.variable);
    const sharedBefore = await shared.data();
    const ids = parameters.map((p) => (p.variable as unknown as { dataId: object }).dataId);
    const profile = await tf.profile(() => optimizer.apply(parameters, gradients, 0.01));
    const kernels = profile.kernels.map((k) => k.name);
    // Two pairs: q0 and q1 updated in place (the same buffers); q2, which another tensor shares, and q3 into new ones.
    expect(kernels.filter((k) => k === FUSED_ADAM_PAIR)).toHaveLength(2);
    expect(kernels).not.toContain(FUSED_ADAM);
    const after = parameters.map((p) => (p.variable as unknown as { dataId: object }).dataId);
    expect(after.map((id, i) => id === ids[i])).toEqual([true, true, false, false]);
    const gpu = await Promise.all(
      parameters.map(async (p) => ({ values: (await p.variable.data()) as Float32Array, shape: p.variable.shape })),
    );
    expect([...(await shared.data())]).toEqual([...sharedBefore]);
    // The same two steps with the tensor ops on cpu.
    const gradientValues = await Promise.all([...gradients.values()].map((g) => g.data()));
    await tf.setBackend('cpu');
    const cpuParameters = parameters.map((p, i) => ({
      ...p,
      variable: tf.variable(tf.tensor(before[i]!, p.variable.shape)),
    }));
    const cpuGradients = new Map([...gradients].map(([name, g], i) => [name, tf.tensor(gradientValues[i]!, g.shape)]));
    const cpuOptimizer = createOptimizer(config);
    cpuOptimizer.apply(cpuParameters, cpuGradients, 0.01);
    cpuOptimizer.apply(cpuParameters, cpuGradients, 0.01);
    for (const [i, p] of cpuParameters.entries())
      expectClose(gpu[i]!, { values: (await p.variable.data()) as Float32Array, shape: p.variable.shape }, `q${i}`);
    tf.dispose([...cpuParameters.map((p) => p.variable), ...cpuGradients.values()]);
    optimizer.dispose();
    cpuOptimizer.dispose();
    await tf.setBackend('webgpu');
    tf.dispose([shared, ...gradients.values(), ...parameters.map((p) => p.variable)]);
  });

  it('a parameter of 4.2 million values (a two-dimensional grid of workgroups)', async () => {
    await initBackend('webgpu');
    const config = { name: 'adam', weightDecay: 0 };
    const [gpu] = await afterThreeSteps('webgpu', config, LARGE);
    const [cpu] = await afterThreeSteps('cpu', config, LARGE);
    expectClose(gpu!, cpu!, 'large parameter');
  }, 60_000);
});
