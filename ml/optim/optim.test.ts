import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  optimizerConfigSchema,
  scheduleConfigSchema,
  type OptimizerConfig,
  type ScheduleConfig,
} from '../../contract/index';
import { SeededRandom } from '../data/random';
import { runReference } from '../../tests/helpers/python-reference';
import { MonitoredValue } from './early-stopping';
import { createOptimizer, type Parameter } from './optimizers';
import { LearningRateSchedule } from './schedules';

/** float32 updates against PyTorch's float64, over a few steps. */
const PARAM_TOLERANCE = 1e-5;
const LR_TOLERANCE = 1e-12;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface OptimizerCase {
  config: OptimizerConfig;
  lr: number;
  factors: number[];
  params: number[][];
  grads: number[][][];
}

function optimizerCase(rng: SeededRandom, input: unknown, lr: number, factors = [1, 0.1]): OptimizerCase {
  const params = [
    Array.from({ length: 4 }, () => rng.uniform(-1, 1)),
    Array.from({ length: 3 }, () => rng.uniform(-1, 1)),
  ];
  const grads = Array.from({ length: 5 }, () => params.map((p) => p.map(() => rng.uniform(-2, 2))));
  return { config: optimizerConfigSchema.parse(input), lr, factors, params, grads };
}

interface ScheduleCase {
  config: ScheduleConfig;
  baseLr: number;
  epochs: number;
  batchesPerEpoch: number;
  mode?: 'min' | 'max';
  metrics?: number[];
}

const schedule = (input: unknown, rest: Omit<ScheduleCase, 'config'>): ScheduleCase => ({
  config: scheduleConfigSchema.parse(input),
  ...rest,
});

describe('optimisers and schedules match PyTorch', () => {
  const rng = new SeededRandom(9);
  const optimizers = [
    optimizerCase(rng, { name: 'sgd', momentum: 0 }, 0.1),
    optimizerCase(rng, { name: 'sgd', momentum: 0.9 }, 0.05),
    optimizerCase(rng, { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-2 }, 0.05),
    optimizerCase(rng, { name: 'adam' }, 1e-2),
    optimizerCase(rng, { name: 'adam', weightDecay: 0.1, beta1: 0.8 }, 1e-2),
    optimizerCase(rng, { name: 'adamw' }, 1e-2),
    optimizerCase(rng, { name: 'adamw', weightDecay: 0.5, epsilon: 1e-6 }, 3e-2, [0.5, 1]),
  ];
  const schedules = [
    schedule({ name: 'step', stepEpochs: 3, gamma: 0.5 }, { baseLr: 0.1, epochs: 10, batchesPerEpoch: 1 }),
    schedule({ name: 'cosine', minLearningRate: 1e-4 }, { baseLr: 0.1, epochs: 12, batchesPerEpoch: 1 }),
    schedule(
      { name: 'warm-restarts', firstPeriodEpochs: 2, periodMultiplier: 1 },
      { baseLr: 0.1, epochs: 5, batchesPerEpoch: 3 },
    ),
    schedule(
      { name: 'warm-restarts', firstPeriodEpochs: 1, periodMultiplier: 2, minLearningRate: 0.001 },
      { baseLr: 0.1, epochs: 7, batchesPerEpoch: 4 },
    ),
    schedule({ name: 'one-cycle' }, { baseLr: 0.1, epochs: 5, batchesPerEpoch: 7 }),
    schedule(
      { name: 'one-cycle', warmupFraction: 0.25, divFactor: 10, finalDivFactor: 100 },
      { baseLr: 0.01, epochs: 4, batchesPerEpoch: 5 },
    ),
    schedule(
      { name: 'reduce-on-plateau', factor: 0.5, patience: 1, cooldown: 1, minLearningRate: 0.01 },
      {
        baseLr: 0.1,
        epochs: 12,
        batchesPerEpoch: 1,
        mode: 'min',
        metrics: [1, 0.9, 0.95, 0.93, 0.9, 0.9, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6],
      },
    ),
    schedule(
      { name: 'reduce-on-plateau', patience: 0, threshold: 0.1 },
      { baseLr: 1, epochs: 6, batchesPerEpoch: 1, mode: 'max', metrics: [0.5, 0.52, 0.6, 0.61, 0.7, 0.69] },
    ),
  ];
  const reference = runReference<{ optimizers: number[][][][]; schedules: number[][] }>('torch_training.py', {
    optimizers,
    schedules,
  });

  it.each(optimizers.map((c, i) => [`${i}: ${JSON.stringify(c.config)}`, c, i] as const))('%s', (_name, c, i) => {
    const optimizer = createOptimizer(c.config);
    const variables = c.params.map((p) => tf.variable(tf.tensor1d(p)));
    const parameters: Parameter[] = variables.map((variable, k) => ({
      name: `p${k}`,
      variable,
      learningRateFactor: c.factors[k]!,
    }));
    const before = tf.memory().numTensors;
    c.grads.forEach((stepGrads, step) => {
      const gradients = new Map(stepGrads.map((g, k) => [`p${k}`, tf.tensor1d(g)] as const));
      optimizer.apply(parameters, gradients, c.lr);
      tf.dispose([...gradients.values()]);
      variables.forEach((v, k) => {
        const got = v.dataSync();
        reference.optimizers[i]![step]![k]!.forEach((want, j) =>
          expect(Math.abs(got[j]! - want)).toBeLessThan(PARAM_TOLERANCE),
        );
      });
      // Slots are created on the first step; after that a step leaves no tensor behind.
      if (step === 0) return;
      expect(tf.memory().numTensors).toBe(before + optimizer.slotCount());
    });
    optimizer.dispose();
    tf.dispose(variables);
  });

  it.each(schedules.map((c, i) => [`${i}: ${JSON.stringify(c.config)}`, c, i] as const))('%s', (_name, c, i) => {
    const s = new LearningRateSchedule(c.config, {
      baseLearningRate: c.baseLr,
      epochs: c.epochs,
      batchesPerEpoch: c.batchesPerEpoch,
      monitorMode: c.mode ?? 'min',
    });
    const got: number[] = [];
    const perBatch = c.config.name === 'warm-restarts' || c.config.name === 'one-cycle';
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      if (perBatch) for (let b = 0; b < c.batchesPerEpoch; b++) got.push(s.at(epoch, b));
      else got.push(s.at(epoch, 0));
      s.endEpoch(c.metrics?.[epoch]);
    }
    const want = reference.schedules[i]!;
    expect(got.length).toBe(want.length);
    got.forEach((lr, k) =>
      expect(Math.abs(lr - want[k]!), `step ${k}: ${lr} vs ${want[k]}`).toBeLessThan(
        LR_TOLERANCE * Math.max(1, want[k]!) + 1e-15,
      ),
    );
  });

  it('saves and restores optimiser state exactly', async () => {
    const config = optimizerConfigSchema.parse({ name: 'adamw' });
    const run = async (split: boolean): Promise<Float32Array> => {
      let optimizer = createOptimizer(config);
      const variable = tf.variable(tf.tensor1d([0.5, -0.25, 1]));
      const parameters = [{ name: 'w', variable, learningRateFactor: 1 }];
      for (let step = 0; step < 6; step++) {
        if (split && step === 3) {
          const snapshot = await optimizer.snapshot();
          optimizer.dispose();
          optimizer = createOptimizer(config);
          optimizer.restore(snapshot);
        }
        const g = tf.tensor1d([Math.sin(step), Math.cos(step), 0.1 * step]);
        optimizer.apply(parameters, new Map([['w', g]]), 0.01);
        g.dispose();
      }
      const out = variable.dataSync() as Float32Array;
      optimizer.dispose();
      variable.dispose();
      return out;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('early stopping waits `patience` epochs without an improvement larger than minDelta', () => {
    const monitor = new MonitoredValue({ metric: 'val_loss', mode: 'min' }, 0.01);
    const improved = [1, 0.995, 0.98, 0.975, 0.99, 0.5].map((v, epoch) => monitor.update(epoch, v));
    expect(improved).toEqual([true, false, true, false, false, true]);
    expect(monitor.best).toEqual({ epoch: 5, value: 0.5 });
  });
});
