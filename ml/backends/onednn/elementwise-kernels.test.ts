/**
 * The addon's element-wise, cast, fill, select and reduction kernels (elementwise-kernels.ts,
 * layer-kernels.ts) against the wasm oracle: values, dtypes and gradients over every broadcast a
 * training step makes (same shape, bias over channels, scalar on either side, [N, 1] against
 * [1, N]), on tensors small (one thread) and large (several).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
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

const BROADCASTS = [
  { a: [3, 4], b: [3, 4] },
  { a: [2, 5, 5, 6], b: [6] },
  { a: [], b: [4, 7] },
  { a: [5, 1], b: [1, 5] },
  { a: [64, 32, 32], b: [1, 32, 1] },
];

const ARITHMETIC: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
];

const COMPARISONS: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['less', tf.less],
  ['lessEqual', tf.lessEqual],
  ['greater', tf.greater],
  ['greaterEqual', tf.greaterEqual],
  ['equal', tf.equal],
  ['notEqual', tf.notEqual],
];

const MAPS: [string, (x: tf.Tensor) => tf.Tensor, number?][] = [
  ['neg', tf.neg],
  ['square', tf.square],
  ['sqrt', tf.sqrt, 0.5],
  ['rsqrt', tf.rsqrt, 0.5],
  ['exp', tf.exp],
  ['log', tf.log, 0.5],
  ['sigmoid', tf.sigmoid],
  ['softplus', (x) => tf.softplus(x.mul(20))],
  ['abs', tf.abs],
  ['reciprocal', tf.reciprocal, 0.5],
  ['relu', tf.relu],
  ['relu6', (x) => tf.relu6(x.mul(8))],
  ['clipByValue', (x) => tf.clipByValue(x, -0.3, 0.6)],
];

describe.skipIf(!ONEDNN_ADDON && !ONEDNN_REQUIRED)(
  'oneDNN element-wise kernels against the wasm oracle',
  { timeout: ORACLE_CASE_TIMEOUT_MS },
  () => {
    beforeAll(startOneDnn);

    it.each(BROADCASTS)('arithmetic of $a with $b: values and both gradients', async (c) => {
      for (const [name, op] of ARITHMETIC)
        await expectSameAsOracle(name, () => withGradients([seeded(c.a, 1), seeded(c.b, 2)], op));
      await expectSameAsOracle('pow', () => withGradients([seeded(c.a, 1, 0.5), seeded(c.b, 2)], tf.pow));
      // tfjs has no broadcasting gradient for Maximum, Minimum and SquaredDifference on any backend.
      const same = c.a.length === c.b.length && c.a.every((d, i) => d === c.b[i]);
      for (const op of [tf.maximum, tf.minimum, tf.squaredDifference])
        await expectSameAsOracle(op.name, () =>
          same ? withGradients([seeded(c.a, 1), seeded(c.b, 2)], op) : [op(seeded(c.a, 1), seeded(c.b, 2))],
        );
    });

    it.each(BROADCASTS)('comparisons and logical ops of $a with $b give the same booleans', async (c) => {
      // Rounded inputs make ties, where <, ≤ and = differ.
      const a = () => seeded(c.a, 3).mul(3).round();
      const b = () => seeded(c.b, 4).mul(3).round();
      for (const [name, op] of COMPARISONS) await expectSameAsOracle(name, () => [op(a(), b())]);
      await expectSameAsOracle('logicalAnd', () => [tf.logicalAnd(tf.greater(a(), 0), tf.less(b(), 1))]);
      await expectSameAsOracle('logicalOr', () => [tf.logicalOr(tf.greater(a(), 0), tf.less(b(), 1))]);
    });

    it('ReLU6 as a clip (MobileNetV2): value and gradient, comparisons, an and and a select over several threads', async () => {
      // Rounded inputs put values on the clip's edges, 0 and 6, where ≥ and ≤ decide.
      await expectSameAsOracle('clipByValue', () =>
        withGradients([seeded([16, 32, 32, 8], 12).mul(8).round()], (x) => tf.clipByValue(x, 0, 6)),
      );
      await expectSameAsOracle('big comparisons', () => {
        const x = seeded([16, 32, 32, 8], 13).mul(3).round();
        return [tf.logicalOr(tf.greaterEqual(x, 0), tf.lessEqual(x, -2)), tf.equal(x, tf.zerosLike(x))];
      });
    });

    it.each([[[5, 6]], [[16, 32, 32, 8]]])('maps of %j: values and gradients', async (shape) => {
      for (const [name, op, low] of MAPS)
        await expectSameAsOracle(name, () => withGradients([seeded(shape, 5, low)], op));
      await expectSameAsOracle('step', () => [tf.step(seeded(shape, 6)), tf.step(seeded(shape, 6), 0.25)]);
    });

    it('casts between float32, int32 and bool, zerosLike, onesLike and fill', async () => {
      await expectSameAsOracle('casts', () => {
        const x = seeded([4, 9], 7).mul(4);
        return [
          tf.cast(x, 'int32'),
          tf.cast(tf.cast(x, 'int32'), 'float32'),
          tf.cast(tf.greater(x, 0), 'float32'),
          tf.zerosLike(x),
          tf.onesLike(x),
          tf.fill([3, 2], 2.5),
        ];
      });
    });

    it('a cast to bool gives 1 for every non-zero value (tfjs semantics; wasm stores 255 for negatives)', async () => {
      const [flags] = await runWith(true, () => [tf.cast(tf.tensor1d([-2, 0, 0.5, -0.25, 3]), 'bool')]);
      expect(Array.from(flags!.values)).toEqual([1, 0, 1, 1, 1]);
    });

    it('a float32 cast shares the buffer, and disposing the source keeps the copy', async () => {
      const [copy] = await runWith(true, () => {
        const source = seeded([4, 5], 8);
        const cast = tf.cast(source, 'float32');
        source.dispose();
        return [cast];
      });
      const [expected] = await runWith(true, () => [seeded([4, 5], 8)]);
      expect(copy!.values).toEqual(expected!.values);
    });

    it('select with a full and a broadcast condition: value and gradients', async () => {
      await expectSameAsOracle('select', () =>
        withGradients([seeded([6, 5], 9), seeded([6, 5], 10)], (t, e) =>
          tf.where(tf.greater(seeded([6, 5], 9), seeded([6, 5], 10)), t, e),
        ),
      );
      await expectSameAsOracle('select broadcast', () => [
        tf.where(tf.greater(seeded([6, 1], 11), 0), seeded([6, 5], 9), seeded([6, 5], 10)),
      ]);
    });

    it.each([
      { shape: [4, 6, 5, 3], axis: [1, 2] },
      { shape: [7, 9], axis: [1] },
      { shape: [3, 4, 5], axis: [0, 2] },
      { shape: [64, 40, 30], axis: [2] },
      { shape: [5], axis: [0] },
      // Contiguous middle axes with more neighbouring outputs than one task accumulates (256),
      // split across threads: the reduction's lanes path.
      { shape: [3, 300, 300], axis: [1] },
      { shape: [40, 3], axis: [0] },
    ])('sum, mean, max, min and prod of $shape over $axis: values and gradients', async (c) => {
      for (const keepDims of [false, true]) {
        await expectSameAsOracle('sum', () => withGradients([seeded(c.shape, 11)], (x) => tf.sum(x, c.axis, keepDims)));
        await expectSameAsOracle('mean', () =>
          withGradients([seeded(c.shape, 11)], (x) => tf.mean(x, c.axis, keepDims)),
        );
        await expectSameAsOracle('max', () => withGradients([seeded(c.shape, 12)], (x) => tf.max(x, c.axis, keepDims)));
        await expectSameAsOracle('min', () => withGradients([seeded(c.shape, 12)], (x) => tf.min(x, c.axis, keepDims)));
      }
      await expectSameAsOracle('prod', () => [tf.prod(seeded(c.shape, 13, 0.5), c.axis)]);
    });
  },
);
