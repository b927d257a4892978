/**
 * Loupe's Conv2D layer trains as tfjs's does, value for value, without computing a gradient of
 * the images (the first convolution's input), with a bias and a ReLU in the convolution's one
 * kernel; it is saved under tfjs's class name and read back as Loupe's class.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseDuringBackward } from '../train/release-during-backward';
import { Conv2D, conv2d } from './conv2d';

type ConvFactory = (args: Parameters<typeof tf.layers.conv2d>[0]) => tf.layers.Layer;

/** Image → conv (no bias) → ReLU → conv (no bias) → conv (bias) → global pooling → dense. */
function model(conv: ConvFactory): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2] });
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  let y = conv({
    name: 'c1',
    filters: 4,
    kernelSize: 3,
    padding: 'same',
    useBias: false,
    kernelInitializer: init(1),
  }).apply(input);
  y = tf.layers.reLU().apply(y);
  y = conv({ name: 'c2', filters: 4, kernelSize: 3, strides: 2, useBias: false, kernelInitializer: init(2) }).apply(y);
  y = conv({ name: 'c3', filters: 3, kernelSize: 1, kernelInitializer: init(3) }).apply(y);
  y = tf.layers.globalAveragePooling2d({}).apply(y);
  const output = tf.layers.dense({ units: 2, kernelInitializer: init(4) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** Image → conv (bias, ReLU) → conv (bias, ReLU, stride 2, valid) → conv (ReLU, no bias) → conv (bias) → dense. */
function biasedModel(conv: ConvFactory): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 2] });
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  // Biases away from zero, so that a bias gradient or a ReLU mask in the wrong place shows.
  const bias = (value: number) => tf.initializers.constant({ value });
  let y = conv({
    name: 'c1',
    filters: 4,
    kernelSize: 3,
    padding: 'same',
    activation: 'relu',
    kernelInitializer: init(1),
    biasInitializer: bias(0.1),
  }).apply(input);
  y = conv({
    name: 'c2',
    filters: 5,
    kernelSize: 3,
    strides: 2,
    activation: 'relu',
    kernelInitializer: init(2),
    biasInitializer: bias(-0.05),
  }).apply(y);
  y = conv({
    name: 'c3',
    filters: 3,
    kernelSize: 3,
    padding: 'same',
    activation: 'relu',
    useBias: false,
    kernelInitializer: init(5),
  }).apply(y);
  y = conv({ name: 'c4', filters: 3, kernelSize: 1, kernelInitializer: init(3), biasInitializer: bias(0.2) }).apply(y);
  y = tf.layers.globalAveragePooling2d({}).apply(y);
  const output = tf.layers.dense({ units: 2, kernelInitializer: init(4) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** The loss and every weight's gradient of one training pass, and the kernels it ran. */
async function trainOnce(
  m: tf.LayersModel,
  release = false,
): Promise<{ values: number[][]; kernels: string[]; left: number }> {
  const [, height, width, channels] = m.inputs[0]!.shape as number[];
  const x = tf.randomNormal([3, height!, width!, channels!], 0, 1, 'float32', 5);
  let values: number[][] = [];
  const before = tf.memory().numTensors;
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => {
      const loss = tf.sum(tf.square(m.apply(x, { training: true }) as tf.Tensor));
      if (release) releaseDuringBackward();
      return loss as tf.Scalar;
    });
    values = [value, ...Object.values(grads)].map((t) => Array.from(t.dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
  });
  const left = tf.memory().numTensors - before;
  x.dispose();
  return { values, kernels: info.kernels.map((k) => k.name), left };
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('Loupe’s Conv2D layer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains as tfjs’s Conv2D does, without a gradient of the images', async () => {
    const stock = await trainOnce(model((args) => tf.layers.conv2d(args)));
    const loupe = await trainOnce(model(conv2d));
    expect(loupe.values).toEqual(stock.values);
    // c2's and c3's inputs need a gradient; the images (c1's input) do not.
    expect(count(stock.kernels, 'Conv2DBackpropInput')).toBe(3);
    expect(count(loupe.kernels, 'Conv2DBackpropInput')).toBe(2);
  });

  it('trains a bias and a ReLU in the convolution’s kernel, with tfjs’s gradients', async () => {
    const stock = await trainOnce(biasedModel((args) => tf.layers.conv2d(args)));
    for (const release of [false, true]) {
      const loupe = await trainOnce(biasedModel(conv2d), release);
      expect(loupe.values.length).toBe(stock.values.length);
      loupe.values.forEach((v, i) => v.forEach((g, j) => expect(g).toBeCloseTo(stock.values[i]![j]!, 5)));
      // Four convolutions with a bias and/or a ReLU as one kernel each, where tfjs ran a Conv2D, an Add and a Relu.
      expect(count(loupe.kernels, 'FusedConv2D')).toBe(4);
      expect(count(stock.kernels, 'FusedConv2D')).toBe(1); // c4, linear: tfjs fuses only that case
      expect(count(stock.kernels, 'Relu')).toBe(3);
      expect(count(loupe.kernels, 'Relu')).toBe(0);
      // The images need no gradient here either; every filter has one.
      expect(count(loupe.kernels, 'Conv2DBackpropInput')).toBe(3);
      expect(count(loupe.kernels, 'Conv2DBackpropFilter')).toBe(4);
      expect(loupe.left).toBe(stock.left);
    }
    expect(stock.values.flat().some((g) => g === 0)).toBe(true); // the ReLUs masked something
  });

  it('is saved under tfjs’s class name and read back as Loupe’s class', async () => {
    const m = model(conv2d);
    const json = m.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.filter((l) => l.class_name === 'Conv2D')).toHaveLength(3);
    const restored = await tf.models.modelFromJSON({ modelTopology: json as never });
    restored.setWeights(m.getWeights());
    expect(restored.getLayer('c1')).toBeInstanceOf(Conv2D);
    const x = tf.randomNormal([1, 8, 8, 2], 0, 1, 'float32', 6);
    expect(Array.from((restored.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((m.predict(x) as tf.Tensor).dataSync()),
    );
  });
});
