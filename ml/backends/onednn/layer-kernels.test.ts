/**
 * The addon's layer and optimiser kernels (layer-kernels.ts, optimizer-kernels.ts) against the
 * wasm oracle: tiling, packing, one-hot, max pooling, nearest upsampling and batch normalisation
 * with their gradients, and the engine's Adam and AdamW stepping through the fused in-place
 * update against their tensor-op path.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { optimizerConfigSchema } from '../../../contract/index';
import { createOptimizer, type Parameter } from '../../optim/optimizers';
import { expectClose, seededValues } from '../wasm-kernels/kernel-test-support';

type Shape4 = [number, number, number, number];
import {
  expectSameAsOracle,
  ONEDNN_ADDON,
  ONEDNN_REQUIRED,
  ORACLE_CASE_TIMEOUT_MS,
  runWith,
  seeded,
  startOneDnn,
  withGradients,
} from './oracle-test-support';

/** Three steps of the engine's optimiser on two parameters; their values and moments after. */
function adamSteps(config: object, shareFirst: boolean): tf.Tensor[] {
  const optimizer = createOptimizer(optimizerConfigSchema.parse(config));
  const parameters: Parameter[] = [
    { name: 'w', variable: tf.variable(seeded([3, 3, 4, 8], 1)), learningRateFactor: 1 },
    { name: 'b', variable: tf.variable(seeded([8], 2)), learningRateFactor: 0.5 },
  ];
  // A clone shares its variable's buffer: the fused update must then leave it alone.
  const clone = shareFirst ? parameters[0]!.variable.clone() : null;
  const before = clone ? clone.add(0) : null;
  for (let step = 0; step < 3; step++) {
    const gradients = new Map(parameters.map((p, i) => [p.name, seeded(p.variable.shape, 10 + step * 2 + i)]));
    optimizer.apply(parameters, gradients, 1e-2);
  }
  const outputs = parameters.map((p) => p.variable.clone() as tf.Tensor);
  if (clone && before) outputs.push(clone.sub(before));
  optimizer.dispose();
  tf.dispose(parameters.map((p) => p.variable));
  return outputs;
}

describe.skipIf(!ONEDNN_ADDON && !ONEDNN_REQUIRED)(
  'oneDNN layer kernels against the wasm oracle',
  { timeout: ORACLE_CASE_TIMEOUT_MS },
  () => {
    beforeAll(startOneDnn);

    it.each([
      { shape: [2, 3], reps: [3, 2] },
      { shape: [1, 1, 1, 6], reps: [2, 4, 4, 1] },
      { shape: [64, 64, 4], reps: [1, 2, 2] },
      // A row repeated within itself, a broadcast middle axis, a column repeated, and past the
      // parallel threshold.
      { shape: [3, 5], reps: [2, 3] },
      { shape: [4, 1, 3], reps: [1, 5, 1] },
      { shape: [2, 3, 1], reps: [3, 1, 7] },
      { shape: [1, 1, 1, 4096], reps: [2, 2, 2, 1] },
    ])('tile of $shape by $reps: value and gradient', async (c) => {
      await expectSameAsOracle('tile', () => withGradients([seeded(c.shape, 1)], (x) => tf.tile(x, c.reps)));
      await expectSameAsOracle('tile bool', () => [tf.tile(tf.greater(seeded(c.shape, 1), 0), c.reps)]);
    });

    it('tiles a batch-norm gradient’s broadcast, [1, 1, 1, C] to [N, H, W, C], row by row', async () => {
      // Values only: tfjs's gradient of this tile is one slice per repetition (8,192 here).
      await expectSameAsOracle('tile rows', () => [tf.tile(seeded([1, 1, 1, 16], 1), [8, 32, 32, 1])]);
    });

    it.each([0, 1, 2, -1])('stack and unstack on axis %i: values and gradients', async (axis) => {
      await expectSameAsOracle('stack', () =>
        withGradients([seeded([4, 5], 2), seeded([4, 5], 3), seeded([4, 5], 4)], (...xs) => tf.stack(xs, axis)),
      );
      const unstackAxis = axis === 2 ? 1 : axis;
      await expectSameAsOracle('unstack', () =>
        withGradients([seeded([3, 4, 5], 5)], (x) => tf.stack(tf.unstack(x, unstackAxis).map((t, i) => t.mul(i + 1)))),
      );
    });

    it('one-hot of int32 indices, out-of-range indices all off, in int32 and float32', async () => {
      const indices = () => tf.tensor2d([0, 2, 1, 5, -1, 3], [2, 3], 'int32');
      await expectSameAsOracle('oneHot', () => [tf.oneHot(indices(), 4)]);
      // The wasm oracle's float32 one-hot is not defined (it writes int32 bits); the values are known.
      const [floats] = await runWith(true, () => [tf.oneHot(indices(), 3, 2, -1, 'float32')]);
      expect(Array.from(floats!.values)).toEqual([2, -1, -1, -1, -1, 2, -1, 2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    });

    it.each([
      { x: [2, 8, 8, 3], pool: 2, strides: 2, pad: 'valid' as const },
      { x: [3, 9, 7, 4], pool: 3, strides: 2, pad: 'same' as const },
      // 2×2 at stride 2 has a loop of its own: odd sizes drop the last row and column ('valid') or pad ('same').
      { x: [2, 9, 7, 5], pool: 2, strides: 2, pad: 'valid' as const },
      { x: [2, 9, 7, 5], pool: 2, strides: 2, pad: 'same' as const },
      { x: [8, 32, 32, 16], pool: 2, strides: 2, pad: 'valid' as const },
      // Several threads (threads.h: one per 128K values), each with whole images.
      { x: [16, 32, 32, 20], pool: 2, strides: 2, pad: 'valid' as const },
    ])('max pooling of $x (window $pool, strides $strides, $pad): value and gradient', async (c) => {
      await expectSameAsOracle('maxPool', () =>
        withGradients([seeded(c.x, 6)], (x) => tf.maxPool(x as tf.Tensor4D, c.pool, c.strides, c.pad)),
      );
    });

    it.each([
      { x: [2, 8, 8, 16], pool: 2, strides: 2, pad: 'valid' as const },
      { x: [2, 9, 7, 5], pool: 3, strides: 2, pad: 'same' as const },
    ])('max pooling of $x with ties (values in -2..2): the gradient goes where the oracle’s does', async (c) => {
      const size = c.x.reduce((a, b) => a * b, 1);
      const ties = () =>
        tf.tensor4d(
          Array.from(seededValues(size, 11), (v) => Math.round(v * 2)),
          c.x as Shape4,
        );
      await expectSameAsOracle('maxPool ties', () =>
        withGradients([ties()], (x) => tf.maxPool(x as tf.Tensor4D, c.pool, c.strides, c.pad)),
      );
    });

    it('max pooling lets NaN win its window (as PyTorch; the wasm oracle skips it); the gradient as the oracle', async () => {
      // Channel 0 of pixel (0, 1, 1) and channel 5 of pixel (1, 2, 3) are NaN; 8 channels, so the
      // vectorised loop meets them inside a vector.
      const nanAt = [(1 * 4 + 1) * 8 + 0, (16 + 2 * 4 + 3) * 8 + 5];
      const compute = () => {
        const values = seededValues(2 * 4 * 4 * 8, 7);
        for (const i of nanAt) values[i] = NaN;
        return withGradients([tf.tensor4d(values, [2, 4, 4, 8])], (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'));
      };
      const [native, oracle] = [await runWith(true, compute), await runWith(false, compute)];
      // Output [n, 2, 2, 8]: the windows of those pixels are (0, 0, 0) channel 0 and (1, 1, 1) channel 5.
      const nanWindows = [0 * 8 + 0, (4 + 3) * 8 + 5];
      const pooled = Array.from(native[0]!.values);
      pooled.forEach((v, i) => expect(v, `pooled ${i}`).toEqual(nanWindows.includes(i) ? NaN : oracle[0]!.values[i]));
      expect(Array.from(native[1]!.values)).toEqual(Array.from(oracle[1]!.values));
    });

    it.each([
      { x: [2, 4, 5, 3], size: [8, 10] },
      { x: [1, 5, 3, 2], size: [7, 9] },
      { x: [4, 16, 16, 8], size: [32, 32] },
    ])('nearest resize of $x to $size: value and gradient', async (c) => {
      await expectSameAsOracle('resizeNearest', () =>
        withGradients([seeded(c.x, 7)], (x) =>
          tf.image.resizeNearestNeighbor(x as tf.Tensor4D, c.size as [number, number]),
        ),
      );
    });

    it.each([
      { x: [2, 5, 5, 6], stats: [6] },
      { x: [8, 16, 16, 32], stats: [32] },
      { x: [3, 4, 7], stats: [7] },
    ])('batch norm of $x with $stats statistics: value and every gradient', async (c) => {
      await expectSameAsOracle('batchNorm', () =>
        withGradients(
          [seeded(c.x, 8), seeded(c.stats, 9), seeded(c.stats, 10, 0.5), seeded(c.stats, 11), seeded(c.stats, 12)],
          (x, mean, variance, offset, scale) => tf.batchNorm(x, mean!, variance!, offset, scale, 1e-3),
        ),
      );
      await expectSameAsOracle('batchNorm, no offset or scale', () => [
        tf.batchNorm(seeded(c.x, 8), seeded(c.stats, 9), seeded(c.stats, 10, 0.5)),
      ]);
    });

    it.each([{ name: 'adam' }, { name: 'adam', weightDecay: 0.1 }, { name: 'adamw', weightDecay: 0.05 }])(
      'the engine optimiser %j: three fused in-place steps equal the tensor-op path',
      async (config) => {
        const oracle = await runWith(false, () => adamSteps(config, false));
        const native = await runWith(true, () => adamSteps(config, false));
        native.forEach((n, i) => expectClose(n, oracle[i]!, `${config.name} parameter ${i}`));
      },
    );

    it('after its first step (when the fresh moments still share the zeros they came from), Adam writes the parameters in place', async () => {
      const dataIds: object[] = [];
      await runWith(true, () => {
        const optimizer = createOptimizer(optimizerConfigSchema.parse({ name: 'adam' }));
        const variable = tf.variable(seeded([16, 8], 1));
        for (let step = 0; step < 3; step++) {
          optimizer.apply([{ name: 'w', variable, learningRateFactor: 1 }], new Map([['w', seeded([16, 8], 2)]]), 1e-2);
          dataIds.push(variable.dataId);
        }
        optimizer.dispose();
        variable.dispose();
        return [];
      });
      expect(dataIds[2]).toBe(dataIds[1]);
    });

    it('the fused update leaves a tensor that shares a parameter buffer unchanged, and leaks nothing', async () => {
      const before = tf.memory().numTensors;
      const native = await runWith(true, () => adamSteps({ name: 'adam' }, true));
      const oracle = await runWith(false, () => adamSteps({ name: 'adam' }, false));
      expectClose(native[0]!, oracle[0]!, 'shared parameter');
      expect(Array.from(native[2]!.values).every((d) => d === 0)).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
    });
  },
);
