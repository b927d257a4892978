/**
 * Batch norm's training kernels on WebGPU (batch-norm.ts), run by Loupe's BatchNormalization
 * layer: y, the gradients of x, scale and offset, and the moving averages after the step (made by
 * the forward kernel), against
 * tfjs's own training pass on the cpu backend (which has no such kernels). Also: the layer really
 * took the kernels, the statistics keep their digits for data far from zero mean (where E[x²] −
 * mean² in float32 would not), and a wrong size is an Error. Runs where Dawn finds an adapter
 * (Mesa's llvmpipe on CI, forced), as webgpu.test.ts does.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BATCH_NORM_PASS_OUTPUTS as OUTPUTS, batchNormTrainingPass } from '../../models/batch-norm-test-support';
import { BATCH_NORM_MOMENTUM } from '../../models/common';
import { BATCH_NORM_MOVING_AVERAGES, BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from '../batch-norm-training';
import { initBackend } from '../select';
import { expectClose, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
import { chooseAdapter } from './adapters';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

const EPSILON = 1e-3;

function caseOf(shape: number[], seed: number, centre = 0) {
  const channels = shape[shape.length - 1]!;
  return {
    shape,
    // Far from zero mean and unit variance, so that the statistics matter.
    x: Float32Array.from(seededValues(sizeOf(shape), seed), (v, i) => centre + v * 3 + (i % channels)),
    dy: seededValues(sizeOf(shape), seed + 1),
    gamma: Float32Array.from(seededValues(channels, seed + 2), (v) => 1 + v / 4),
    beta: seededValues(channels, seed + 3),
  };
}

type Case = ReturnType<typeof caseOf>;

/** The six results in float64, from the definitions (biased variance, as tfjs's moments). */
function float64Pass(c: Case): { values: Float32Array; shape: number[] }[] {
  const channels = c.gamma.length;
  const rows = c.x.length / channels;
  const perChannel = (f: (r: number, j: number) => number) =>
    Array.from({ length: channels }, (_, j) => {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += f(r, j);
      return sum;
    });
  const at = (r: number, j: number) => r * channels + j;
  const mean = perChannel((r, j) => c.x[at(r, j)]!).map((s) => s / rows);
  const variance = perChannel((r, j) => (c.x[at(r, j)]! - mean[j]!) ** 2).map((s) => s / rows);
  const inv = variance.map((v) => 1 / Math.sqrt(v + EPSILON));
  const xhat = (i: number) => (c.x[i]! - mean[i % channels]!) * inv[i % channels]!;
  const dbeta = perChannel((r, j) => c.dy[at(r, j)]!);
  const dgamma = perChannel((r, j) => c.dy[at(r, j)]! * xhat(at(r, j)));
  const full = (f: (i: number, j: number) => number) => Float32Array.from(c.x, (_, i) => f(i, i % channels));
  const y = full((i, j) => xhat(i) * c.gamma[j]! + c.beta[j]!);
  const dx = full((i, j) => c.gamma[j]! * inv[j]! * (c.dy[i]! - dbeta[j]! / rows - (xhat(i) * dgamma[j]!) / rows));
  const moving = (start: number, batch: number) => start - (start - batch) * (1 - BATCH_NORM_MOMENTUM);
  return [
    { values: y, shape: c.shape },
    { values: dx, shape: c.shape },
    ...[dgamma, dbeta, mean.map((m) => moving(0, m)), variance.map((v) => moving(1, v))].map((v) => ({
      values: Float32Array.from(v),
      shape: [channels],
    })),
  ];
}

/** One training pass of the layer on `backend`: its six results, and the kernels it ran. */
async function trainingPass(backend: string, c: Case) {
  await tf.setBackend(backend);
  let outputs: tf.Tensor[] = [];
  const profile = await tf.profile(() => (outputs = batchNormTrainingPass(c, EPSILON)));
  const values = await Promise.all(
    outputs.map(async (t) => ({ values: (await t.data()) as Float32Array, shape: t.shape })),
  );
  tf.dispose(outputs);
  return { values, kernels: new Set(profile.kernels.map((k) => k.name)) };
}

describe.skipIf(!forced && process.env.CI !== 'true')(
  'batch norm on WebGPU (forced; on Mesa where there is no GPU)',
  () => {
    it.each([
      { shape: [4, 5, 6, 3], seed: 1, centre: 0 },
      { shape: [8, 3, 3, 16], seed: 5, centre: 0 },
      // Rank 2 (after a dense layer), 10 rows: two chunks, the second of 2 rows.
      { shape: [10, 6], seed: 17, centre: 0 },
      // 19,200 rows: 2,400 chunks of 8 rows, 37 or 38 per lane of a join.
      { shape: [2, 120, 80, 3], seed: 21, centre: 0 },
      // 40,293 rows: 4,030 chunks of 10 rows, the last one of 3.
      { shape: [3, 111, 121, 2], seed: 23, centre: 0 },
      // A mean of 1,000 against a spread of a few units: a float32 E[x²] − mean² keeps no digits of it.
      { shape: [6, 40, 40, 4], seed: 25, centre: 1000 },
    ])(
      'x $shape, centred on $centre: the layer’s results, in float64 and on the cpu backend',
      async ({ shape, seed, centre }) => {
        await initBackend('webgpu');
        const c = caseOf(shape, seed, centre);
        const gpu = await trainingPass('webgpu', c);
        expect([...gpu.kernels]).toEqual(expect.arrayContaining([BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD]));
        // The moving averages come from the forward kernel (its join program).
        expect(gpu.kernels.has(BATCH_NORM_MOVING_AVERAGES)).toBe(false);
        float64Pass(c).forEach((v, i) => expectClose(gpu.values[i]!, v, `${shape} ${OUTPUTS[i]} (float64)`));
        const cpu = await trainingPass('cpu', c);
        expect(cpu.kernels.has(BATCH_NORM_TRAINING)).toBe(false);
        gpu.values.forEach((v, i) => expectClose(v, cpu.values[i]!, `${shape} ${OUTPUTS[i]} (cpu)`));
      },
      60_000,
    );

    it('the forward kernel’s moving averages are the moving-averages kernel’s, and need all three of their parts', async () => {
      await initBackend('webgpu');
      await tf.setBackend('webgpu');
      const c = caseOf([3, 17, 19, 5], 31);
      const [x, scale, offset] = [tf.tensor(c.x, c.shape), tf.tensor(c.gamma), tf.tensor(c.beta)];
      const movingMean = tf.tensor(seededValues(5, 33));
      const movingVariance = tf.tensor(seededValues(5, 34).map((v) => 1 + v / 2));
      const decay = Math.fround(1 - BATCH_NORM_MOMENTUM);
      const attrs = { epsilon: EPSILON, decay } as unknown as tf.NamedAttrMap;
      const fused = tf
        .engine()
        .runKernel(BATCH_NORM_TRAINING, { x, scale, offset, movingMean, movingVariance }, attrs) as tf.Tensor[];
      expect(fused).toHaveLength(5);
      const separate = tf
        .engine()
        .runKernel(BATCH_NORM_MOVING_AVERAGES, { movingMean, movingVariance, mean: fused[1]!, variance: fused[2]! }, {
          decay,
        } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      for (const i of [0, 1]) {
        const read = async (t: tf.Tensor) => ({ values: (await t.data()) as Float32Array, shape: t.shape });
        expectClose(await read(fused[3 + i]!), await read(separate[i]!), `moving ${i}`, 1e-6, 0);
      }
      expect(() => tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset, movingMean }, attrs)).toThrow(
        /movingMean, movingVariance and attrs.decay together/,
      );
      tf.dispose([x, scale, offset, movingMean, movingVariance, ...fused, ...separate]);
    });

    it('refuses a scale of the wrong size', async () => {
      await initBackend('webgpu');
      await tf.setBackend('webgpu');
      const x = tf.ones([2, 3, 4]);
      expect(() =>
        tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale: tf.ones([3]), offset: tf.zeros([4]) }, {
          epsilon: EPSILON,
        } as unknown as tf.NamedAttrMap),
      ).toThrow(/one scale and offset per channel/);
      x.dispose();
    });
  },
);
