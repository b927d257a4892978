/**
 * Loupe's Conv2D layer trains as tfjs's does, value for value, without computing a gradient of
 * the images (the first convolution's input); it is saved under tfjs's class name and read back
 * as Loupe's class.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
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

/** The loss and every weight's gradient of one training pass, and the kernels it ran. */
async function trainOnce(m: tf.LayersModel): Promise<{ values: number[][]; kernels: string[] }> {
  const x = tf.randomNormal([3, 8, 8, 2], 0, 1, 'float32', 5);
  let values: number[][] = [];
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.apply(x, { training: true }) as tf.Tensor)));
    values = [value, ...Object.values(grads)].map((t) => Array.from(t.dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
  });
  x.dispose();
  return { values, kernels: info.kernels.map((k) => k.name) };
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
