/**
 * The ReLU and ReLU6 gradients on WebGPU run as one program each (relu-gradients.ts) and give
 * tfjs's values bit for bit: the cpu backend's dy · step(x) and dy · (x ≤ 6) · step(x), with
 * exact zeros, exact sixes, −0 and NaN among the inputs. Runs where Dawn finds an adapter (Mesa's
 * llvmpipe on CI, forced), as webgpu.test.ts does.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { RELU6_GRAD, RELU_GRAD } from '../lean-gradients';
import { initBackend } from '../select';
import { seededValues } from '../wasm-kernels/kernel-test-support';
import { chooseAdapter } from './adapters';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

const SHAPE = [3, 7, 5, 4];

function inputs(): { x: Float32Array; dy: Float32Array } {
  const x = seededValues(140 * 3, 31).map((v) => v * 8);
  x.set([0, -0, 6, -6, Number.NaN, 6.000001, 1e-30], 0);
  const dy = seededValues(x.length, 32);
  dy.set([-2, 3, -1, 1, 0.5, -0.25, -4], 0);
  return { x, dy };
}

/** dx of ReLU or ReLU6 on `backend`, and the kernels its gradient ran. */
async function gradientOn(backend: string, six: boolean): Promise<{ dx: Float32Array; kernels: string[] }> {
  await tf.setBackend(backend);
  const { x, dy } = inputs();
  const [xs, dys] = [tf.tensor(x, SHAPE), tf.tensor(dy, SHAPE)];
  const activation = (t: tf.Tensor) => (six ? tf.relu6(t) : tf.relu(t));
  let dx: tf.Tensor | undefined;
  const profile = await tf.profile(() => {
    dx = tf.grad((t: tf.Tensor) => activation(t).mul(dys).sum())(xs);
    return dx;
  });
  const values = (await dx!.data()) as Float32Array;
  tf.dispose([xs, dys, dx!]);
  return { dx: values, kernels: profile.kernels.map((k) => k.name) };
}

describe.skipIf(!forced && process.env.CI !== 'true')(
  'ReLU gradients on WebGPU (forced; on Mesa where there is no GPU)',
  () => {
    it.each([
      { six: false, kernel: RELU_GRAD },
      { six: true, kernel: RELU6_GRAD },
    ])('relu6 $six: one $kernel program, the cpu backend’s values bit for bit', async ({ six, kernel }) => {
      await initBackend('webgpu');
      const gpu = await gradientOn('webgpu', six);
      const cpu = await gradientOn('cpu', six);
      expect(gpu.kernels).toContain(kernel);
      expect(gpu.kernels).not.toContain('Step');
      expect(cpu.kernels).not.toContain(kernel);
      expect(Number.isNaN(cpu.dx[4]!)).toBe(true);
      const differ = [...cpu.dx.keys()].filter((i) => !Object.is(gpu.dx[i], cpu.dx[i]));
      expect(differ.map((i) => [i, gpu.dx[i], cpu.dx[i]])).toEqual([]);
    });
  },
);
