/**
 * The test-only composed Conv2D gradients (tests/helpers/training-backend.ts) that let the
 * training tests run on wasm until ml/kernels lands: they must equal the cpu backend's.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTrainingBackend } from '../helpers/training-backend';

/** Float32 sums in another order. */
const TOLERANCE = 1e-4;

beforeAll(async () => {
  await startTrainingBackend();
});

describe('test helper: wasm filter and input gradients', () => {
  it.each([
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
    { x: [1, 10, 7, 2], filter: [3, 2, 2, 5], strides: 2, pad: 'valid' },
    { x: [3, 8, 8, 1], filter: [1, 1, 1, 3], strides: 1, pad: 'valid' },
    { x: [1, 11, 11, 2], filter: [7, 7, 2, 2], strides: 2, pad: 'same' },
    { x: [2, 7, 9, 3], filter: [5, 5, 3, 2], strides: 2, pad: 'same' },
    { x: [2, 10, 10, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  ] as { x: number[]; filter: number[]; strides: number; pad: 'same' | 'valid' }[])('matches the cpu backend for %j', async ({ x, filter, strides, pad }) => {
    const gradients = async (backend: string): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const input = tf.tensor4d(Float32Array.from({ length: x.reduce((a, b) => a * b) }, (_, i) => Math.sin(i)), x as [number, number, number, number]);
        const w = tf.tensor4d(Float32Array.from({ length: filter.reduce((a, b) => a * b) }, (_, i) => Math.cos(i)), filter as [number, number, number, number]);
        const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad).square().sum();
        return tf.grads(f)([input, w]).map((g) => g.dataSync() as Float32Array);
      });
    };
    const wasm = await gradients('wasm');
    const cpu = await gradients('cpu');
    await tf.setBackend('wasm');
    for (const k of [0, 1]) {
      const scale = Math.max(...cpu[k]!.map(Math.abs));
      wasm[k]!.forEach((v, i) => expect(Math.abs(v - cpu[k]![i]!)).toBeLessThan(TOLERANCE * scale));
    }
  });
});
