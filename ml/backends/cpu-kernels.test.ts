/**
 * The cpu backend's ResizeNearestNeighborGrad (Loupe's replacement, cpu-kernels.ts) against a
 * reference built from the forward op alone: resizing an image of pixel indices says which input
 * pixel each output pixel was read from, and the gradient is dy scattered back onto those pixels.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './select';

beforeAll(async () => {
  await initBackend('cpu');
});

async function referenceGradient(
  shape: [number, number, number, number],
  size: [number, number],
  alignCorners: boolean,
  dy: Float32Array,
): Promise<Float32Array> {
  const [batch, height, width, depth] = shape;
  const indices = tf.tensor4d(
    Array.from({ length: batch * height * width }, (_, i) => i),
    [batch, height, width, 1],
  );
  const source = (await tf.image.resizeNearestNeighbor(indices, size, alignCorners).data()) as Float32Array;
  const dx = new Float32Array(batch * height * width * depth);
  source.forEach((pixel, out) => {
    for (let d = 0; d < depth; d++) dx[pixel * depth + d]! += dy[out * depth + d]!;
  });
  return dx;
}

describe('ResizeNearestNeighborGrad on the cpu backend', () => {
  it.each([
    { shape: [2, 1, 1, 1] as const, size: [2, 2] as const, alignCorners: false },
    { shape: [2, 4, 4, 3] as const, size: [8, 8] as const, alignCorners: false },
    { shape: [3, 3, 5, 2] as const, size: [7, 11] as const, alignCorners: false },
    { shape: [2, 3, 5, 2] as const, size: [7, 11] as const, alignCorners: true },
  ])('$shape → $size (alignCorners $alignCorners): every image gets its own pixels’ gradient', async (c) => {
    await tf.setBackend('cpu');
    const shape = [...c.shape] as [number, number, number, number];
    const size = [...c.size] as [number, number];
    const dyShape = [shape[0], size[0], size[1], shape[3]] as [number, number, number, number];
    const dyValues = Float32Array.from({ length: dyShape.reduce((a, b) => a * b) }, (_, i) => Math.cos(i * 0.37));
    const dy = tf.tensor4d(dyValues, dyShape);
    const dx = tf.grad((x) =>
      tf.image
        .resizeNearestNeighbor(x as tf.Tensor4D, size, c.alignCorners)
        .mul(dy)
        .sum(),
    )(tf.zeros(shape));
    const expected = await referenceGradient(shape, size, c.alignCorners, dyValues);
    const actual = (await dx.data()) as Float32Array;
    expect(actual.length).toBe(expected.length);
    actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
  });
});
