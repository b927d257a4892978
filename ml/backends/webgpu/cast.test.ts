/**
 * Casting int32 and bool to float32 on WebGPU (cast.ts): the result is a float32 buffer that
 * every later program can read, among them tfjs's transpose, which a reduction over an inner axis
 * runs. tfjs's own cast relabelled the int32 buffer, the transpose did not compile, and the Dice
 * losses on int32 masks failed every step. Runs where Dawn finds an adapter (Mesa's llvmpipe on
 * CI, forced), as webgpu.test.ts does.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LossConfig } from '../../../contract/index';
import { createLoss, type LossTarget } from '../../losses/index';
import { initBackend } from '../select';
import { expectClose, seededValues } from '../wasm-kernels/kernel-test-support';
import { chooseAdapter } from './adapters';
import { throwIfGpuFault } from './faults';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

/** Casts, transposes and reduces (sums of small integers: exact) a GPU-resident int32 or bool tensor, as a Dice loss does. */
async function castAndReduce(backend: string, kind: 'int32' | 'bool'): Promise<number[][]> {
  await tf.setBackend(backend);
  const ints = Array.from({ length: 2 * 5 * 3 }, (_, i) => ((i * 7) % 11) - 5);
  const results = tf.tidy(() => {
    const base = tf.tensor3d(ints, [2, 5, 3], 'int32');
    // An op's output: on webgpu it lives in a GPU buffer, not in values held on the CPU.
    const x = kind === 'int32' ? tf.add(base, tf.scalar(0, 'int32')) : tf.greater(base, tf.scalar(0, 'int32'));
    const float = x.toFloat();
    return [float, float.transpose([0, 2, 1]), float.sum(1), float.sum(0), tf.tensor1d([3, -1], kind).toFloat()];
  });
  const values = await Promise.all(results.map(async (t) => [...(await t.data())]));
  tf.dispose(results);
  return values;
}

const masks2 = { task: 'segmentation', numClasses: 2, outputChannels: 1 } as LossTarget;
const masks3 = { task: 'segmentation', numClasses: 3, outputChannels: 3 } as LossTarget;

/** A loss and its gradient on logits, for int32 masks as ml/data/batches.ts makes them. */
async function lossOn(backend: string, config: LossConfig, target: LossTarget): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const channels = target.outputChannels;
  const logits = tf.tensor4d(seededValues(2 * 6 * 5 * channels, 41), [2, 6, 5, channels]);
  const masks = tf.tensor3d(
    seededValues(2 * 6 * 5, 42).map((v) =>
      Math.min(target.numClasses - 1, Math.floor(Math.abs(v) * target.numClasses)),
    ),
    [2, 6, 5],
    'int32',
  );
  const { value, grad } = tf.valueAndGrad((z: tf.Tensor) => createLoss(config, target)(masks, z))(logits);
  const values = [(await value.data()) as Float32Array, (await grad.data()) as Float32Array];
  tf.dispose([logits, masks, value, grad]);
  return values;
}

describe.skipIf(!forced && process.env.CI !== 'true')(
  'casts to float32 on WebGPU (forced; on Mesa where there is no GPU)',
  () => {
    afterEach(() => {
      tf.env().set('WEBGPU_CPU_FORWARD', true);
    });

    it.each(['int32', 'bool'] as const)(
      '%s → float32, transposed and reduced over an inner axis: as on cpu',
      async (kind) => {
        await initBackend('webgpu');
        // On the GPU even though the tensors are small (tfjs runs small ops on values it holds on the CPU).
        tf.env().set('WEBGPU_CPU_FORWARD', false);
        const gpu = await castAndReduce('webgpu', kind);
        expect(() => throwIfGpuFault()).not.toThrow();
        expect(gpu).toEqual(await castAndReduce('cpu', kind));
      },
    );

    it.each([
      [{ name: 'dice', smooth: 1, includeBackground: false }, masks2],
      [{ name: 'bce-dice', smooth: 1, bceWeight: 1, diceWeight: 1 }, masks2],
      [{ name: 'bce', positiveWeight: 2 }, masks2],
      [{ name: 'dice', smooth: 1, includeBackground: true }, masks3],
      [{ name: 'cross-entropy-dice', smooth: 1, crossEntropyWeight: 1, diceWeight: 0.5 }, masks3],
      [{ name: 'focal', gamma: 2 }, masks3],
    ] as [LossConfig, LossTarget][])(
      '%o on int32 masks: the loss and its gradient as on cpu',
      async (config, target) => {
        await initBackend('webgpu');
        tf.env().set('WEBGPU_CPU_FORWARD', false);
        const [gpuLoss, gpuGradient] = await lossOn('webgpu', config, target);
        expect(() => throwIfGpuFault()).not.toThrow();
        const [cpuLoss, cpuGradient] = await lossOn('cpu', config, target);
        expectClose({ values: gpuLoss!, shape: [] }, { values: cpuLoss!, shape: [] }, 'loss', 1e-5);
        expectClose({ values: gpuGradient!, shape: [] }, { values: cpuGradient!, shape: [] }, 'gradient');
      },
    );
  },
);
