/**
 * The WebGPU backend. Adapter classification is checked everywhere; the backend itself runs where
 * Dawn finds an adapter: on CI's GPU-less machines that is Mesa's llvmpipe through Dawn's OpenGL
 * ES backend, forced (as LOUPE_BACKEND=webgpu does), which checks correctness, not speed: kernels
 * and whole training steps of the reference CNN and U-Net against tfjs's `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceCnn, referenceUNet } from '../../../bench/reference-models';
import { applyForTraining } from '../../models/batch-norm-relu';
import { buildModel } from '../../models/index';
import { trainStep } from '../../train/train-step';
import { adamStepContext } from '../../train/train-test-support';
import { initBackend } from '../select';
import { expectClose, seededValues, sizeOf } from '../wasm-kernels/kernel-test-support';
import { resolveLoss, type LossSpec } from '../../parallel/loss-registry';
import { chooseAdapter, isSoftwareAdapter, noGpuDeviceReason } from './adapters';
import { patchLimit } from './conv-filter-gemm';
import { branchMargins, seedWeights } from './step-test-support';

const blank = { vendor: '', architecture: '', device: '', description: '' };

describe('adapter classification', () => {
  it.each([
    [
      { ...blank, device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6' },
      true,
    ],
    [{ ...blank, device: 'llvmpipe (LLVM 15.0.6, 256 bits)', vendor: 'mesa' }, true],
    [{ ...blank, description: 'SwiftShader Device (Subzero)', vendor: 'google' }, true],
    [{ ...blank, description: 'Microsoft Basic Render Driver' }, true],
    [{ ...blank, description: 'NVIDIA GeForce RTX 4070', vendor: 'nvidia', architecture: 'ada' }, false],
    [{ ...blank, description: 'AMD Radeon RX 7900 (RADV NAVI31)', vendor: 'amd' }, false],
    [{ ...blank, description: 'Apple M2', vendor: 'apple', architecture: 'metal-3' }, false],
    [{ ...blank, description: 'Intel(R) UHD Graphics 770', isFallbackAdapter: true }, true],
  ])('%o is software: %s', (info, software) => {
    expect(isSoftwareAdapter(info)).toBe(software);
  });

  it('never takes a software adapter unless forced', async () => {
    // Here either there is no GPU device at all, or Dawn offers one; a llvmpipe-only machine refuses.
    const chosen = await chooseAdapter(false).catch((error: Error) => error);
    if (chosen instanceof Error) expect(chosen.message).toMatch(/no GPU device|not a GPU|no WebGPU adapter/);
    else expect(chosen.adapter.software).toBe(false);
  });
});

type Values = { values: Float32Array; shape: number[] };

async function valuesOf(tensors: tf.Tensor[]): Promise<Values[]> {
  return Promise.all(tensors.map(async (t) => ({ values: (await t.data()) as Float32Array, shape: t.shape })));
}

/** `compute` (which makes its own inputs) on cpu and on webgpu, compared within KERNEL_RTOL. */
async function expectSameOnBoth(label: string, compute: () => tf.Tensor[]): Promise<void> {
  const results: Values[][] = [];
  for (const backend of ['cpu', 'webgpu']) {
    await tf.setBackend(backend);
    const outputs = tf.tidy(compute);
    results.push(await valuesOf(outputs));
    tf.dispose(outputs);
  }
  results[1]!.forEach((gpu, i) => expectClose(gpu, results[0]![i]!, `${label} [output ${i}]`));
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(sizeOf(shape), seed), shape);
}

function withGradients(inputs: tf.Tensor[], op: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor[] {
  const y = op(...inputs);
  const dy = tf.tensor(seededValues(y.size, 97), y.shape);
  return [
    y,
    ...tf.grads((...xs: tf.Tensor[]) =>
      op(...xs)
        .mul(dy)
        .sum(),
    )(inputs),
  ];
}

/**
 * The closest a branch of the forward pass (a ReLU's sign, a max pool's choice) may come to flipping,
 * relative to its layer's largest value: four times the largest difference between cpu's and Mesa's
 * WebGPU pre-activations in the reference CNN (5.4e-7). Closer, the backends may take different
 * branches and rightly differ (step-test-support.ts).
 */
const MIN_BRANCH_MARGIN = 2e-6;
/** Seeds weights whose branches in these steps are all clear of rounding (the smallest margin: 3.7e-6, in the CNN). */
const WEIGHT_SEED = 2300;

/** One training step's loss and gradients of `model` on cpu and webgpu, same weights and batch. */
async function expectSameTrainingStep(
  label: string,
  model: tf.LayersModel,
  loss: LossSpec,
  xShape: number[],
  y: () => tf.Tensor,
): Promise<void> {
  await tf.setBackend('cpu');
  const x = seeded(xShape, 5);
  for (const { layer, margin, channel } of await branchMargins(model, x))
    expect(margin, `${label}: a branch of ${layer} (channel ${channel}) within rounding of flipping`).toBeGreaterThan(
      MIN_BRANCH_MARGIN,
    );
  x.dispose();
  const results: Values[][] = [];
  for (const backend of ['cpu', 'webgpu']) {
    await tf.setBackend(backend);
    const [xs, ys] = [seeded(xShape, 5), y()];
    // As the engine's training step computes it (ml/train/train-step.ts: on webgpu a batch norm applies
    // the ReLU after it), read back asynchronously:
    // WebGPU in Node has no synchronous read (it needs an OffscreenCanvas).
    const lossOf = resolveLoss(loss);
    const { value, grads } = tf.variableGrads(() => lossOf(ys, applyForTraining(model, xs) as tf.Tensor) as tf.Scalar);
    const ordered = model.trainableWeights.map((w) => grads[w.name]!);
    results.push(await valuesOf([value, ...ordered]));
    tf.dispose([xs, ys, value, ...ordered]);
  }
  // Every value that differs is named, not only the first: a fault shows where it entered the
  // backward pass (a layer's gradients, and every layer before it) and which output channels it hit.
  const faults: string[] = [];
  results[1]!.forEach((gpu, i) => {
    const name = i === 0 ? 'loss' : `gradient of ${model.trainableWeights[i - 1]!.name}`;
    try {
      expectClose(gpu, results[0]![i]!, `${label}: ${name}`);
    } catch (error) {
      faults.push(`${(error as Error).message}${channelsOf(gpu, results[0]![i]!)}`);
    }
  });
  if (faults.length > 0) expect.fail(faults.join('\n'));
}

/** The last axis's indices (output channels) where `actual` is off by more than 1e-4 of `expected`'s scale. */
function channelsOf(actual: Values, expected: Values): string {
  const channels = actual.shape.at(-1) ?? 1;
  let scale = 0;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  const off = new Set<number>();
  actual.values.forEach((v, k) => {
    if (!(Math.abs(v - expected.values[k]!) <= 1e-4 * scale)) off.add(k % channels);
  });
  return ` (off in ${off.size} of ${channels} channels: ${[...off].slice(0, 8).join(', ')}${off.size > 8 ? ', …' : ''})`;
}

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

describe.skipIf(!forced && process.env.CI !== 'true')(
  'the WebGPU backend (forced; on Mesa where there is no GPU)',
  () => {
    beforeAll(async () => {
      const info = await initBackend('webgpu');
      expect(info.backend).toBe('webgpu');
      expect(info.device?.software).toBe(noGpuDeviceReason() !== null);
      console.log(
        `[webgpu] adapter: ${info.device?.name} (${info.device?.api}${info.device?.software ? ', software' : ''})`,
      );
    });

    it.each([
      { x: [2, 8, 8, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'same' as const },
      { x: [3, 9, 7, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' as const },
    ])('conv2d x $x · W $filter: value and both gradients', async (c) => {
      await expectSameOnBoth('conv2d', () =>
        withGradients([seeded(c.x, 1), seeded(c.filter, 2)], (x, w) =>
          tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad),
        ),
      );
    });

    // Larger than the cases above: Loupe's filter gradients (filter-gradients.ts, conv-filter-gemm.ts) spread these sums over many threads.
    it.each([
      { x: [3, 20, 18, 5], filter: [3, 3, 5, 12], strides: 1, pad: 'same' as const },
      { x: [2, 33, 31, 4], filter: [5, 5, 4, 6], strides: 2, pad: 'valid' as const },
      { x: [4, 16, 16, 1], filter: [1, 1, 1, 3], strides: 1, pad: 'valid' as const },
      // 3×3 × 32 inputs per output channel: the patches × dy product route.
      { x: [2, 12, 11, 32], filter: [3, 3, 32, 16], strides: 1, pad: 'same' as const },
      { x: [2, 13, 13, 64], filter: [3, 3, 64, 16], strides: 2, pad: 'valid' as const },
    ])('conv2d filter gradient, split over threads: x $x · W $filter', async (c) => {
      await expectSameOnBoth('conv2d', () =>
        withGradients([seeded(c.x, 12), seeded(c.filter, 13)], (x, w) =>
          tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad),
        ),
      );
    });

    it('conv2d filter gradient with the patches taken in slices of positions', async () => {
      const saved = patchLimit.elements;
      patchLimit.elements = 10_000;
      try {
        await expectSameOnBoth('conv2d', () =>
          withGradients([seeded([2, 9, 7, 32], 16), seeded([3, 3, 32, 16], 17)], (x, w) =>
            tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
          ),
        );
      } finally {
        patchLimit.elements = saved;
      }
    });

    it('depthwise filter gradient, split over threads, with a channel multiplier and stride 2', async () => {
      await expectSameOnBoth('depthwise', () =>
        withGradients([seeded([3, 21, 19, 6], 14), seeded([3, 3, 6, 2], 15)], (x, w) =>
          tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
        ),
      );
    });

    it('depthwise conv2d, max pooling, concat and matMul: values and gradients', async () => {
      await expectSameOnBoth('depthwise', () =>
        withGradients([seeded([2, 8, 8, 4], 3), seeded([3, 3, 4, 2], 4)], (x, w) =>
          tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
        ),
      );
      await expectSameOnBoth('maxPool', () =>
        withGradients([seeded([2, 8, 8, 3], 5)], (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')),
      );
      await expectSameOnBoth('concat', () =>
        withGradients([seeded([2, 4, 4, 3], 6), seeded([2, 4, 4, 5], 7)], (a, b) => tf.concat([a, b], 3)),
      );
      await expectSameOnBoth('matMul', () =>
        withGradients([seeded([16, 32], 8), seeded([32, 10], 9)], (a, b) => tf.matMul(a, b)),
      );
    });

    it('one training step of the reference CNN and of a U-Net: the same loss and gradients as cpu', async () => {
      await tf.setBackend('cpu');
      const cnn = referenceCnn();
      seedWeights(cnn, WEIGHT_SEED);
      await expectSameTrainingStep('CNN', cnn, { name: 'categoricalCrossentropy' }, [2, 32, 32, 3], () =>
        tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10).toFloat(),
      );
      await tf.setBackend('cpu');
      const unet = referenceUNet({ size: 32, depth: 2, baseFilters: 4 });
      seedWeights(unet, WEIGHT_SEED);
      await expectSameTrainingStep('U-Net', unet, { name: 'binaryCrossentropy' }, [2, 32, 32, 1], () =>
        seeded([2, 32, 32, 1], 11).greater(0).toFloat(),
      );
      cnn.dispose();
      unet.dispose();
    }, 300_000);

    it('one training step of Loupe’s default classifier (batch norm, ReLU): the same loss and gradients as cpu', async () => {
      await tf.setBackend('cpu');
      const model = buildModel(
        { architecture: 'small-cnn' },
        { task: 'classification', inputShape: [24, 24, 1], numClasses: 3, seed: 0 },
      );
      await expectSameTrainingStep('small CNN', model, { name: 'categoricalCrossentropy' }, [4, 24, 24, 1], () =>
        tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3).toFloat(),
      );
      model.dispose();
    }, 300_000);

    it('training steps on Loupe’s programs (Adam, batch norm, ReLU) leave no tensor or GPU buffer behind', async () => {
      await tf.setBackend('webgpu');
      const model = buildModel(
        { architecture: 'small-cnn' },
        { task: 'classification', inputShape: [16, 16, 1], numClasses: 2, seed: 0 },
      );
      const context = adamStepContext(model, { name: 'categoricalCrossentropy' });
      const batch = { x: seeded([2, 16, 16, 1], 3), y: tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2).toFloat() };
      const memory = () => {
        const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number };
        return { tensors: m.numTensors, gpuBytes: m.numBytesInGPU };
      };
      for (let i = 0; i < 2; i++) await trainStep(context, batch as never);
      const before = memory();
      for (let i = 0; i < 4; i++) await trainStep(context, batch as never);
      expect(memory()).toEqual(before);
      context.optimizer.dispose();
      tf.dispose([batch.x, batch.y]);
      model.dispose();
    }, 300_000);
  },
);
