/**
 * A convolution's ReLU and bias gradients on WebGPU (relu-bias-gradient.ts): g must be tfjs's
 * dy · step(y) bit for bit (−0, exact zeros and NaN among the inputs) and the bias's gradient Σg
 * over every axis but the last within float32 rounding of a float64 sum, for one chunk of rows,
 * thousands and an uneven last chunk; Loupe's fused convolution must then train on it with
 * tfjs's cpu backend's gradients and no transpose. Runs where Dawn finds an adapter (Mesa's
 * llvmpipe on CI, forced), as webgpu.test.ts does.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fusedConvForTraining } from '../../models/fused-conv-training';
import { RELU_BIAS_GRAD } from '../lean-gradients';
import { initBackend } from '../select';
import { expectClose, seededValues } from '../wasm-kernels/kernel-test-support';
import { chooseAdapter } from './adapters';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

/** dy and y of `shape`, y with zeros, −0 and NaN at the start. */
function inputs(shape: number[]): { dy: Float32Array; y: Float32Array } {
  const size = shape.reduce((a, b) => a * b, 1);
  const y = seededValues(size, 7).map((v) => v * 4);
  y.set([0, -0, Number.NaN, 1e-30, -1e-30].slice(0, size), 0);
  const dy = seededValues(size, 8);
  return { dy, y };
}

describe.skipIf(!forced && process.env.CI !== 'true')(
  'ReLU and bias gradient on WebGPU (forced; on Mesa where there is no GPU)',
  () => {
    it.each([[[1, 1, 1, 3]], [[2, 5, 7, 3]], [[3, 67, 71, 4]], [[9, 64, 65, 2]], [[5, 200]]])(
      'shape %j: g as tfjs’s cpu bit for bit, the bias’s gradient as a float64 sum',
      async (shape) => {
        await initBackend('webgpu');
        const { dy, y } = inputs(shape);
        await tf.setBackend('cpu');
        const expectedG = (await tf
          .tidy(() => tf.mul(tf.tensor(dy, shape), tf.step(tf.tensor(y, shape))))
          .data()) as Float32Array;
        await tf.setBackend('webgpu');
        const [g, dbias] = tf
          .engine()
          .runKernel(RELU_BIAS_GRAD, { dy: tf.tensor(dy, shape), y: tf.tensor(y, shape) }) as tf.Tensor[];
        const gValues = (await g!.data()) as Float32Array;
        const differ = [...expectedG.keys()].filter((i) => !Object.is(gValues[i], expectedG[i]));
        expect(differ.map((i) => [i, gValues[i], expectedG[i]])).toEqual([]);
        const channels = shape[shape.length - 1]!;
        const sums = new Float64Array(channels);
        expectedG.forEach((v, i) => (sums[i % channels]! += Number.isNaN(v) ? 0 : v));
        const nanChannel = y.findIndex((v) => Number.isNaN(v)) % channels;
        const got = (await dbias!.data()) as Float32Array;
        expect(dbias!.shape).toEqual([channels]);
        if (y.some((v) => Number.isNaN(v))) expect(got[nanChannel]).toBeNaN();
        const finite = (a: ArrayLike<number>) =>
          Float32Array.from(a, (v, c) => (c === nanChannel && y.some(Number.isNaN) ? 0 : v));
        expectClose(
          { values: finite(got), shape: [channels] },
          { values: finite(sums), shape: [channels] },
          'dbias',
          1e-5,
          1e-6,
        );
        tf.dispose([g!, dbias!]);
      },
    );

    it('a convolution with bias and ReLU trains on it: cpu’s gradients, no transpose', async () => {
      await initBackend('webgpu');
      const gradientsOn = async (backend: string) => {
        await tf.setBackend(backend);
        const x = tf.tensor4d(seededValues(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]);
        const filter = tf.tensor4d(seededValues(3 * 3 * 3 * 8, 2), [3, 3, 3, 8]);
        const bias = tf.tensor1d(seededValues(8, 3));
        const weights = tf.tensor4d(seededValues(2 * 9 * 9 * 8, 4), [2, 9, 9, 8]);
        let grads: tf.Tensor[] = [];
        const profile = await tf.profile(() => {
          grads = tf.grads((xx: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
            fusedConvForTraining(xx as tf.Tensor4D, f as tf.Tensor4D, b as tf.Tensor1D, [1, 1], 'same', 'relu')
              .mul(weights)
              .sum(),
          )([x, filter, bias]);
          return grads;
        });
        const values = await Promise.all(
          grads.map(async (t) => ({ values: (await t.data()) as Float32Array, shape: t.shape })),
        );
        tf.dispose([x, filter, bias, weights, ...grads]);
        return { values, kernels: profile.kernels.map((k) => k.name) };
      };
      const gpu = await gradientsOn('webgpu');
      const cpu = await gradientsOn('cpu');
      expect(gpu.kernels).toContain(RELU_BIAS_GRAD);
      expect(gpu.kernels).not.toContain('Transpose');
      expect(cpu.kernels).not.toContain(RELU_BIAS_GRAD);
      gpu.values.forEach((v, i) => expectClose(v, cpu.values[i]!, ['dx', 'dfilter', 'dbias'][i]!));
    });
  },
);
