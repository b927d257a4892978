/**
 * The filter gradient with the batch split across threads (native/onednn/filter_gradient.cc: from
 * three threads up, each thread takes a slice of the images and the slices' gradients are summed)
 * against tfjs's `cpu` backend, within KERNEL_RTOL: batches that split evenly, unevenly (5 images on
 * 4 threads: 2, 1, 1, 1) and into fewer slices than threads, strided, padded and depthwise; and a
 * filter too large for a partial gradient per thread against oneDNN's own split (two threads). Four
 * threads also on a 2-core machine: the split depends on the thread count, not the cores.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../select';
import { expectClose, runOn, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
import { loadOneDnn } from './addon';
import { ONEDNN_TFJS_NAME } from './native-backend';

const { addon, reason } = loadOneDnn();
const REQUIRED = process.env.CI === 'true';
const THREADS = 4;

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
  depthwise?: boolean;
}

const CASES: Case[] = [
  { x: [4, 16, 16, 32], filter: [3, 3, 32, 32], strides: 1, pad: 'same' },
  { x: [5, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [3, 8, 8, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'valid' },
  { x: [9, 6, 6, 16], filter: [1, 1, 16, 24], strides: 1, pad: 'valid' },
  { x: [6, 8, 8, 4], filter: [3, 3, 4, 2], strides: 1, pad: 'same', depthwise: true },
];

/** The gradient of sum(conv(x, w) · dy) with respect to w. */
function filterGradient(c: Case): tf.Tensor {
  const x = tf.tensor(seededValues(sizeOf(c.x), 1), c.x) as tf.Tensor4D;
  const w = tf.tensor(seededValues(sizeOf(c.filter), 2), c.filter) as tf.Tensor4D;
  const conv = (filter: tf.Tensor4D) =>
    c.depthwise ? tf.depthwiseConv2d(x, filter, c.strides, c.pad) : tf.conv2d(x, filter, c.strides, c.pad);
  const shape = conv(w).shape;
  const dy = tf.tensor(seededValues(sizeOf(shape), 3), shape);
  return tf.grad((filter: tf.Tensor) =>
    conv(filter as tf.Tensor4D)
      .mul(dy)
      .sum(),
  )(w);
}

describe.skipIf(!addon && !REQUIRED)(`the filter gradient split across ${THREADS} threads`, () => {
  beforeAll(async () => {
    if (!addon) throw new Error(`CI builds the oneDNN addon, but ${reason}`);
    expect((await initBackend('onednn')).backend).toBe('onednn');
    addon.setThreads(THREADS);
  });
  afterAll(() => addon?.setThreads(0));

  it.each(CASES)('x $x · W $filter, strides $strides, pad $pad, depthwise $depthwise', async (c) => {
    const oracle = await runOn('cpu', () => filterGradient(c));
    const native = await runOn(ONEDNN_TFJS_NAME, () => filterGradient(c));
    expectClose(native[0]!, oracle[0]!, 'filter gradient');
    // The same call again gives the same bits: the slices are summed in a fixed order.
    const again = await runOn(ONEDNN_TFJS_NAME, () => filterGradient(c));
    expect(again[0]!.values).toEqual(native[0]!.values);
  });

  it("gives oneDNN's own result for a 17.6 MB filter (3 slices on 4 threads: the bound on the partial gradients)", async () => {
    const c: Case = { x: [4, 3, 3, 2100], filter: [1, 1, 2100, 2100], strides: 1, pad: 'valid' };
    const sliced = await runOn(ONEDNN_TFJS_NAME, () => filterGradient(c));
    addon!.setThreads(2);
    try {
      const whole = await runOn(ONEDNN_TFJS_NAME, () => filterGradient(c));
      expectClose(sliced[0]!, whole[0]!, 'filter gradient');
    } finally {
      addon!.setThreads(THREADS);
    }
  });
});
