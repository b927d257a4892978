/**
 * Batch norm's training kernels on the addon (norm-kernels.ts), run by Loupe's BatchNormalization
 * layer: y, the gradients of x, scale and offset, and the moving averages after the step, against
 * PyTorch's F.batch_norm(training=True) in float64 and against tfjs's own training pass (the
 * oracle: the same layer with the native kernels off). Also: the layer really took the kernels,
 * the moving averages are tfjs's bit for bit, results repeat exactly on any thread count, and a
 * wrong size is an Error.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../../../tests/helpers/python-reference';
import { batchNormTrainingPass } from '../../models/batch-norm-test-support';
import { BATCH_NORM_MOMENTUM } from '../../models/common';
import {
  BATCH_NORM_MOVING_AVERAGES,
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  movingAverages,
} from '../batch-norm-training';
import { expectClose, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
import { countKernels, type KernelTally } from './native-kernel';
import {
  expectSameAsOracle,
  ONEDNN_ADDON,
  ONEDNN_REQUIRED,
  ORACLE_CASE_TIMEOUT_MS,
  runWith,
  startOneDnn,
  type Values,
} from './oracle-test-support';

const EPSILON = 1e-3;

interface Case {
  shape: number[];
  x: number[];
  dy: number[];
  gamma: number[];
  beta: number[];
}

function caseOf(shape: number[], seed: number): Case {
  const channels = shape[shape.length - 1]!;
  const size = sizeOf(shape);
  return {
    shape,
    // Far from zero mean and unit variance, so that the statistics matter.
    x: Array.from(seededValues(size, seed), (v, i) => v * 3 + (i % channels)),
    dy: Array.from(seededValues(size, seed + 1)),
    gamma: Array.from(seededValues(channels, seed + 2), (v) => 1 + v / 4),
    beta: Array.from(seededValues(channels, seed + 3)),
  };
}

const CASES = [
  caseOf([4, 5, 6, 3], 1),
  caseOf([8, 3, 3, 16], 5),
  caseOf([1, 7, 7, 8], 9),
  // Past the size at which the kernels use a second thread.
  caseOf([16, 32, 32, 16], 13),
  // A batch norm after a dense layer: rank 2.
  caseOf([10, 6], 17),
];

/** One training pass of the layer: y, dx, dgamma, dbeta, moving mean, moving variance after it. */
function trainingPass(c: Case): tf.Tensor[] {
  return batchNormTrainingPass(c, EPSILON);
}

/** The moving averages after `steps` updates from zeros and ones with the same batch statistics. */
function movingAfter(start: number, batch: number, steps: number): number {
  let value = start;
  for (let i = 0; i < steps; i++) value -= (value - batch) * (1 - BATCH_NORM_MOMENTUM);
  return value;
}

function asValues(values: number[], shape: number[]): Values {
  return { values: Float32Array.from(values), shape, dtype: 'float32' };
}

describe.skipIf(!ONEDNN_ADDON && !ONEDNN_REQUIRED)(
  'batch norm’s training kernels on oneDNN',
  { timeout: ORACLE_CASE_TIMEOUT_MS },
  () => {
    let references: {
      y: number[];
      dx: number[];
      dgamma: number[];
      dbeta: number[];
      mean: number[];
      variance: number[];
    }[] = [];
    beforeAll(async () => {
      await startOneDnn();
      // PyTorch's reference takes N, H, W, C: a rank-2 case is N × 1 × 1 × C.
      const cases = CASES.map((c) => ({
        ...c,
        shape: c.shape.length === 2 ? [c.shape[0]!, 1, 1, c.shape[1]!] : c.shape,
        epsilon: EPSILON,
      }));
      references = runReference<{ cases: typeof references }>('torch_batch_norm.py', { cases }).cases;
    });
    afterEach(() => {
      countKernels(null);
      ONEDNN_ADDON?.setThreads(0);
    });

    it.each(CASES.map((c, index) => ({ shape: c.shape, index })))(
      'trains a batch norm of $shape as PyTorch does, on the two kernels',
      async ({ index }) => {
        const c = CASES[index]!;
        const tally: KernelTally = { native: new Map(), views: new Map(), handedOver: new Map() };
        countKernels(tally);
        const [y, dx, dgamma, dbeta, movingMean, movingVariance] = await runWith(true, () => trainingPass(c));
        expect(tally.native.get(BATCH_NORM_TRAINING)).toBe(1);
        expect(tally.native.get(BATCH_NORM_TRAINING_GRAD)).toBe(1);
        // The forward kernel updates the moving averages: no call of their own.
        expect(tally.native.get(BATCH_NORM_MOVING_AVERAGES)).toBeUndefined();
        const torch = references[index]!;
        const channels = [c.gamma.length];
        expectClose(y!, asValues(torch.y, c.shape), 'y', 1e-5);
        expectClose(dx!, asValues(torch.dx, c.shape), 'dx');
        expectClose(dgamma!, asValues(torch.dgamma, channels), 'dgamma');
        expectClose(dbeta!, asValues(torch.dbeta, channels), 'dbeta', 1e-5);
        expectClose(
          movingMean!,
          asValues(
            torch.mean.map((m) => movingAfter(0, m, 1)),
            channels,
          ),
          'moving mean',
          1e-5,
        );
        const variance = torch.variance.map((v) => movingAfter(1, v, 1));
        expectClose(movingVariance!, asValues(variance, channels), 'moving variance', 1e-5);
      },
    );

    it.each(CASES.map((c, index) => ({ shape: c.shape, index })))(
      'trains a batch norm of $shape as tfjs’s own training pass does',
      async ({ index }) => {
        await expectSameAsOracle('batch norm training', () => trainingPass(CASES[index]!));
      },
    );

    it('updates the moving averages in one kernel, bit for bit as tfjs’s three ops do', async () => {
      const vectors = [31, 32, 33, 34].map((seed) => Array.from(seededValues(37, seed), (v) => v * 4 + 1));
      const momentum = 0.99;
      const compute = () => {
        const [movingMean, movingVariance, mean, variance] = vectors.map((v) => tf.tensor1d(v));
        return movingAverages(movingMean!, movingVariance!, mean!, variance!, momentum);
      };
      const tally: KernelTally = { native: new Map(), views: new Map(), handedOver: new Map() };
      countKernels(tally);
      const native = await runWith(true, compute);
      countKernels(null);
      expect(tally.native.get(BATCH_NORM_MOVING_AVERAGES)).toBe(1);
      // tfjs's ops: each value − (value − batch statistic) · (1 − momentum), as float32 scalars.
      const ops = await runWith(false, () =>
        [0, 1].map((i) => {
          const [moving, batch] = [tf.tensor1d(vectors[i]!), tf.tensor1d(vectors[i + 2]!)];
          return tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - momentum));
        }),
      );
      native.forEach((v, i) => expect(Array.from(v.values)).toEqual(Array.from(ops[i]!.values)));
    });

    it('the forward kernel’s moving averages are the moving-averages kernel’s, bit for bit', async () => {
      const c = CASES[1]!;
      const channels = c.gamma.length;
      const decay = Math.fround(1 - BATCH_NORM_MOMENTUM);
      const [fused, separate] = await runWith(true, () => {
        const x = tf.tensor(c.x, c.shape);
        const [scale, offset] = [tf.tensor1d(c.gamma), tf.tensor1d(c.beta)];
        const movingMean = tf.tensor1d(seededValues(channels, 41));
        const movingVariance = tf.tensor1d(Array.from(seededValues(channels, 42), (v) => 1 + v / 2));
        const out = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset, movingMean, movingVariance }, {
          epsilon: EPSILON,
          decay,
        } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        const apart = tf
          .engine()
          .runKernel(BATCH_NORM_MOVING_AVERAGES, { movingMean, movingVariance, mean: out[1]!, variance: out[2]! }, {
            decay,
          } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        return [tf.concat([out[3]!, out[4]!]), tf.concat(apart)];
      });
      expect(Array.from(fused!.values)).toEqual(Array.from(separate!.values));
    });

    it('gives the same values bit for bit on one thread and on every core', async () => {
      const c = CASES[3]!;
      ONEDNN_ADDON!.setThreads(1);
      const one = await runWith(true, () => trainingPass(c));
      ONEDNN_ADDON!.setThreads(0);
      const all = await runWith(true, () => trainingPass(c));
      all.forEach((t, i) => expect(Array.from(t.values), `output ${i}`).toEqual(Array.from(one[i]!.values)));
    });

    it('refuses arrays shorter than the shape says, with an Error', () => {
      const addon = ONEDNN_ADDON!;
      const params = Int32Array.of(4, 3);
      const ok = () => new Float32Array(12);
      const perChannel = () => new Float32Array(3);
      expect(() =>
        addon.batchNormTrain(
          new Float32Array(11),
          perChannel(),
          perChannel(),
          ok(),
          new Float32Array(6),
          params,
          EPSILON,
          false,
        ),
      ).toThrow(/x holds 11 values; 12 are needed/);
      expect(() =>
        addon.batchNormTrainGrad(
          ok(),
          ok(),
          new Float32Array(5),
          perChannel(),
          ok(),
          new Float32Array(6),
          params,
          EPSILON,
          null,
        ),
      ).toThrow(/stats holds 5 values; 6 are needed/);
      expect(() =>
        addon.batchNormTrainGrad(
          ok(),
          ok(),
          new Float32Array(6),
          perChannel(),
          ok(),
          new Float32Array(6),
          params,
          EPSILON,
          new Float32Array(11),
        ),
      ).toThrow(/reluY holds 11 values; 12 are needed/);
      expect(() =>
        addon.batchNormTrain(
          ok(),
          perChannel(),
          perChannel(),
          ok(),
          new Float32Array(6),
          Int32Array.of(0, 3),
          EPSILON,
          false,
        ),
      ).toThrow(/at least one row/);
    });
  },
);
