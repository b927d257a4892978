/**
 * Every layer kind Loupe's models use trains one step on wasm (with Loupe's kernels) and lands
 * where the cpu backend lands: same loss, same gradients, same updated weights, within float
 * tolerance; and a step leaves no tensor behind. This is also how the missing and slow wasm
 * kernels were found: each case runs the layer's forward and backward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, seededValues, sizeOf, startWasmWithLoupeKernels } from './kernel-test-support';

/**
 * Whole-model gradients chain several kernels, each adding float32 rounding: 5e-4 relative to
 * the largest element of each gradient still fails on any wrong index, sign or stride.
 */
const MODEL_RTOL = 5e-4;
const INPUT: [number, number, number] = [10, 10, 3];
const BATCH = 3;
const LEARNING_RATE = 0.1;

type Builder = (x: tf.SymbolicTensor) => tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
  layer.apply(x) as tf.SymbolicTensor;
/** A trainable convolution first, so that weight-free layers still have a gradient to check. */
const afterConv =
  (layer: () => tf.layers.Layer): Builder =>
  (x) =>
    apply(layer(), apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), x));

const LAYER_KINDS: Record<string, Builder> = {
  'conv2d same': (x) => apply(tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' }), x),
  'conv2d valid': (x) => apply(tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'valid' }), x),
  'conv2d stride 2 same': (x) => apply(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' }), x),
  'conv2d stride 2 valid, 5×5': (x) =>
    apply(tf.layers.conv2d({ filters: 6, kernelSize: 5, strides: 2, padding: 'valid' }), x),
  'conv2d 1×1 no bias': (x) => apply(tf.layers.conv2d({ filters: 7, kernelSize: 1, useBias: false }), x),
  depthwiseConv2d: (x) => apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }), x),
  'depthwiseConv2d stride 2': (x) =>
    apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }), x),
  separableConv2d: (x) => apply(tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same' }), x),
  'batchNormalization (training)': afterConv(() => tf.layers.batchNormalization()),
  relu: afterConv(() => tf.layers.reLU()),
  relu6: afterConv(() => tf.layers.reLU({ maxValue: 6 })),
  leakyRelu: afterConv(() => tf.layers.leakyReLU({ alpha: 0.2 })),
  sigmoid: afterConv(() => tf.layers.activation({ activation: 'sigmoid' })),
  softmax: afterConv(() => tf.layers.activation({ activation: 'softmax' })),
  maxPooling2d: afterConv(() => tf.layers.maxPooling2d({ poolSize: 2 })),
  'maxPooling2d 3×3 stride 2 same': afterConv(() =>
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
  ),
  averagePooling2d: afterConv(() => tf.layers.averagePooling2d({ poolSize: 2 })),
  globalAveragePooling2d: afterConv(() => tf.layers.globalAveragePooling2d({})),
  conv2dTranspose: (x) =>
    apply(tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }), x),
  'conv2dTranspose 2×2 valid': (x) =>
    apply(tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, padding: 'valid' }), x),
  'upSampling2d nearest': afterConv(() => tf.layers.upSampling2d({ size: [2, 2] })),
  'upSampling2d bilinear': afterConv(() => tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' })),
  'concatenate, add, multiply': (x) => {
    const a = apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), x);
    const b = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1 }), x);
    return apply(tf.layers.concatenate(), [apply(tf.layers.add(), [a, b]), apply(tf.layers.multiply(), [a, b]), x]);
  },
  dropout: afterConv(() => tf.layers.dropout({ rate: 0.3, seed: 7 })),
  'flatten + dense': (x) => apply(tf.layers.dense({ units: 5, activation: 'relu' }), apply(tf.layers.flatten(), x)),
};

/**
 * tfjs's cpu ResizeNearestNeighborGrad steps through dy with the image's batch stride, so its
 * gradients are wrong from the second image on; against cpu these kinds train on one image, and
 * the wasm gradient for a batch is checked against the definition below.
 */
const CPU_WRONG_FOR_BATCHES = new Set(['upSampling2d nearest']);

/** Target-free loss: the mean square of the L2-normalised output (L2 normalisation via tf ops). */
function loss(output: tf.Tensor): tf.Scalar {
  const norm = tf.sqrt(tf.add(tf.sum(tf.square(output), -1, true), 1e-6));
  const weights = tf.tensor(seededValues(sizeOf(output.shape.slice(1)), 51), output.shape.slice(1));
  return tf.mean(tf.mul(tf.div(output, norm), weights));
}

interface StepResult {
  loss: number;
  grads: { values: Float32Array; shape: number[] }[];
  weights: { values: Float32Array; shape: number[] }[];
  leaked: number;
}

async function trainOneStep(backendName: string, build: Builder, x: Float32Array, batch: number): Promise<StepResult> {
  await tf.setBackend(backendName);
  const input = tf.input({ shape: INPUT });
  const model = tf.model({ inputs: input, outputs: build(input) });
  // Same starting weights on both backends: seeded values in place of random initialisers.
  model.setWeights(
    model.getWeights().map((w, i) => tf.tidy(() => tf.mul(tf.tensor(seededValues(w.size, 100 + i), w.shape), 0.5))),
  );
  const optimizer = tf.train.sgd(LEARNING_RATE);
  const xs = tf.tensor4d(x.subarray(0, batch * sizeOf(INPUT)), [batch, ...INPUT]);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => loss(model.apply(xs, { training: true }) as tf.Tensor));
      optimizer.applyGradients(grads);
      return { value, grads: model.trainableWeights.map((w) => grads[w.originalName]!) };
    });
  try {
    const before = tf.memory().numTensors;
    const { value, grads } = step();
    const result: StepResult = {
      loss: (await value.data())[0]!,
      grads: await Promise.all(grads.map(async (g) => ({ values: (await g.data()) as Float32Array, shape: g.shape }))),
      weights: await Promise.all(
        model.getWeights().map(async (w) => ({ values: (await w.data()) as Float32Array, shape: w.shape })),
      ),
      leaked: 0,
    };
    tf.dispose([value, ...grads]);
    result.leaked = tf.memory().numTensors - before;
    return result;
  } finally {
    xs.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

describe('each layer kind trains one step on wasm like on cpu', () => {
  beforeAll(startWasmWithLoupeKernels);

  for (const [kind, build] of Object.entries(LAYER_KINDS)) {
    it(kind, async () => {
      const x = seededValues(BATCH * sizeOf(INPUT), 52);
      const batch = CPU_WRONG_FOR_BATCHES.has(kind) ? 1 : BATCH;
      const wasm = await trainOneStep('wasm', build, x, batch);
      const cpu = await trainOneStep('cpu', build, x, batch);
      expect(wasm.loss).toBeCloseTo(cpu.loss, 5);
      expect(wasm.grads.length).toBe(cpu.grads.length);
      cpu.grads.forEach((g, i) => expectClose(wasm.grads[i]!, g, `gradient ${i}`, MODEL_RTOL));
      cpu.weights.forEach((w, i) => expectClose(wasm.weights[i]!, w, `weight ${i} after the step`, MODEL_RTOL));
      expect(wasm.leaked, 'tensors left behind by a step').toBe(0);
    });
  }

  it('upSampling2d nearest: the gradient of a batch is the sum of dy over each 2×2 block', async () => {
    const [batch, height, width, channels] = [3, 4, 5, 2];
    const dy = seededValues(batch * 4 * height * width * channels, 53);
    const expected = new Float32Array(batch * height * width * channels);
    for (let n = 0; n < batch; n++)
      for (let i = 0; i < 2 * height; i++)
        for (let j = 0; j < 2 * width; j++)
          for (let k = 0; k < channels; k++)
            expected[((n * height + (i >> 1)) * width + (j >> 1)) * channels + k]! +=
              dy[((n * 2 * height + i) * 2 * width + j) * channels + k]!;
    await tf.setBackend('wasm');
    const layer = tf.layers.upSampling2d({ size: [2, 2] });
    const grad = tf.tidy(() =>
      tf.grad((x: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(x) as tf.Tensor, tf.tensor(dy, [batch, 2 * height, 2 * width, channels]))),
      )(tf.zeros([batch, height, width, channels])),
    );
    expectClose(
      { values: (await grad.data()) as Float32Array, shape: grad.shape },
      { values: expected, shape: [batch, height, width, channels] },
      'dx',
    );
    grad.dispose();
  });
});
