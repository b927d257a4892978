/**
 * Long sums into few outputs, the bias and batch-norm gradients of a training step, against tfjs's
 * `cpu` backend within KERNEL_RTOL: sums over the leading axes ([N, H, W, C] into C: the addon's
 * sum_rows, each thread a share of the rows with accumulators on its own stack) and over every
 * axis (reduce_ops.cc, cut into parts of rows that several threads sum); also an odd row count,
 * a mean, a sum per image and a max. 512K values, enough for several threads to take part; the
 * same bits on 2 threads as on 4 for these inputs (the sums accumulate in double).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../select';
import { expectClose, runOn, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
import { loadOneDnn } from './addon';
import { ONEDNN_TFJS_NAME } from './native-backend';

const { addon, reason } = loadOneDnn();
const REQUIRED = process.env.CI === 'true';
const SHAPE = [8, 64, 64, 16];

const CASES: { label: string; reduce: (x: tf.Tensor) => tf.Tensor }[] = [
  { label: 'sum over N, H, W (a bias gradient)', reduce: (x) => tf.sum(x, [0, 1, 2]) },
  { label: 'mean over N, H, W', reduce: (x) => tf.mean(x, [0, 1, 2]) },
  { label: 'sum over H, W per image', reduce: (x) => tf.sum(x, [1, 2]) },
  { label: 'sum of everything', reduce: (x) => tf.sum(x) },
  {
    label: 'sum over N, H, W of an odd row count',
    reduce: (x) => tf.sum(x.slice([0, 0, 0, 0], [7, 63, 61, 16]), [0, 1, 2]),
  },
  { label: 'max over N, H, W', reduce: (x) => tf.max(x, [0, 1, 2]) },
];

function input(): tf.Tensor {
  // An offset, so that the sums are far from zero and a lost part would show.
  return tf.tensor(seededValues(sizeOf(SHAPE), 7), SHAPE).add(0.25);
}

describe.skipIf(!addon && !REQUIRED)('reductions cut into parts of rows', () => {
  beforeAll(async () => {
    if (!addon) throw new Error(`CI builds the oneDNN addon, but ${reason}`);
    expect((await initBackend('onednn')).backend).toBe('onednn');
  });
  afterAll(() => addon?.setThreads(0));

  it.each(CASES)('$label', async (c) => {
    const oracle = await runOn('cpu', () => c.reduce(input()));
    addon!.setThreads(4);
    const four = await runOn(ONEDNN_TFJS_NAME, () => c.reduce(input()));
    expectClose(four[0]!, oracle[0]!, c.label);
    addon!.setThreads(2);
    const two = await runOn(ONEDNN_TFJS_NAME, () => c.reduce(input()));
    expect(two[0]!.values).toEqual(four[0]!.values);
  });
});
