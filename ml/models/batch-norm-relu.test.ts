/**
 * A batch norm whose only reader is a plain ReLU layer trains with the ReLU in its kernels on
 * oneDNN (batch-norm-relu.ts): the same loss, gradients and moving averages as the layers run one
 * by one, without the ReLU's kernels; a ReLU6, a batch norm read twice, or a pass outside
 * `applyForTraining` keep the separate layers. The ReLU layer is saved under tfjs's class name.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countKernels, type KernelTally } from '../backends/onednn/native-kernel';
import { ONEDNN_ADDON, ONEDNN_REQUIRED, startOneDnn } from '../backends/onednn/oracle-test-support';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from '../backends/batch-norm-training';
import { batchNormalization } from './batch-norm';
import { applyForTraining, ReLU, reLU } from './batch-norm-relu';
import { conv2d } from './conv2d';

/**
 * Image → conv → BN → ReLU (fusable) → conv → BN → ReLU6 (not: a clip) → conv → BN, read by a
 * ReLU and by an Add (not: two readers) → pooling → dense.
 */
function model(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [10, 10, 2] });
  const unit = (x: tf.SymbolicTensor, filters: number, seed: number) =>
    batchNormalization({ name: `bn${seed}` }).apply(
      conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(seed) }).apply(x),
    ) as tf.SymbolicTensor;
  let y = reLU({ name: 'relu1' }).apply(unit(input, 4, 1)) as tf.SymbolicTensor;
  y = reLU({ name: 'relu6', maxValue: 6 }).apply(unit(y, 4, 2)) as tf.SymbolicTensor;
  const shared = unit(y, 4, 3);
  y = tf.layers.add().apply([reLU({ name: 'relu3' }).apply(shared) as tf.SymbolicTensor, shared]) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 3, kernelInitializer: init(4) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** Loss, every trainable weight's gradient and the moving averages after one training pass. */
async function trainOnce(fused: boolean, tally: KernelTally): Promise<Float32Array[]> {
  const m = model();
  const x = tf.randomNormal([3, 10, 10, 2], 0.5, 2, 'float32', 5);
  countKernels(tally);
  const { value, grads } = tf.variableGrads(() => {
    const out = (fused ? applyForTraining(m, x) : m.apply(x, { training: true })) as tf.Tensor;
    return tf.sum(tf.square(out)) as tf.Scalar;
  });
  countKernels(null);
  const moving = m.weights.filter((w) => !w.trainable).map((w) => w.read());
  const values = await Promise.all(
    [value, ...Object.values(grads), ...moving].map((t) => t.data() as Promise<Float32Array>),
  );
  tf.dispose([x, value, ...Object.values(grads), ...m.weights.map((w) => w.read())]);
  return values;
}

const emptyTally = (): KernelTally => ({ native: new Map(), views: new Map(), handedOver: new Map() });
const calls = (t: KernelTally, name: string) => (t.native.get(name) ?? 0) + (t.handedOver.get(name) ?? 0);

describe.skipIf(!ONEDNN_ADDON && !ONEDNN_REQUIRED)('a batch norm and the ReLU after it, on oneDNN', () => {
  beforeAll(async () => {
    await startOneDnn();
  });
  afterEach(() => countKernels(null));

  it('trains as the separate layers do, with the ReLU in the batch norm’s kernels', async () => {
    const separate = emptyTally();
    const fused = emptyTally();
    const expected = await trainOnce(false, separate);
    const actual = await trainOnce(true, fused);
    expect(actual.length).toBe(expected.length);
    // The same values; a masked gradient may be +0 where dy · 0 was −0, which no sum tells apart.
    actual.forEach((values, i) => values.forEach((v, j) => expect(v - expected[i]![j]!, `output ${i} [${j}]`).toBe(0)));
    expect(calls(separate, BATCH_NORM_TRAINING)).toBe(3);
    expect(calls(fused, BATCH_NORM_TRAINING_GRAD)).toBe(3);
    // Only relu1 was fused: relu3's batch norm has two readers, and ReLU6 is another function.
    expect(calls(separate, 'Relu')).toBe(2);
    expect(calls(fused, 'Relu')).toBe(1);
    expect(calls(separate, 'LoupeReluGrad')).toBe(2);
    expect(calls(fused, 'LoupeReluGrad')).toBe(1);
    for (const t of [separate, fused]) {
      expect(calls(t, 'Relu6')).toBe(1);
      expect(calls(t, 'LoupeRelu6Grad')).toBe(1);
      expect(calls(t, 'ClipByValue')).toBe(0);
    }
  });

  it('keeps the layers apart at inference and outside applyForTraining', async () => {
    const m = model();
    const x = tf.randomNormal([2, 10, 10, 2], 0, 1, 'float32', 6);
    const tally = emptyTally();
    countKernels(tally);
    tf.dispose([m.apply(x, { training: true }) as tf.Tensor, m.predict(x) as tf.Tensor]);
    countKernels(null);
    expect(calls(tally, 'Relu')).toBe(4);
    tf.dispose([x, ...m.weights.map((w) => w.read())]);
  });
});

describe('Loupe’s ReLU layer', () => {
  it('trains a ReLU6 as tfjs’s layer (a ReLU and a clip) does, value for value, as one kernel', async () => {
    await tf.setBackend('cpu');
    // Values on both sides of 0 and 6, and exactly 0 and 6.
    const x = tf.tensor1d([-3, -0.5, 0, 0.5, 3, 5.99, 6, 6.01, 9]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const run = (layer: tf.layers.Layer) => ({
      result: tf.tidy(() => {
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, dy)))(x);
        return [y, dx];
      }),
    });
    const stock = run(tf.layers.reLU({ maxValue: 6 }));
    const loupe = run(reLU({ maxValue: 6 }));
    for (const i of [0, 1])
      expect(Array.from(await loupe.result[i]!.data())).toEqual(Array.from(await stock.result[i]!.data()));
    expect(Array.from(await loupe.result[1]!.data())).toEqual([0, 0, 0, 4, 5, 6, 7, 0, 0]);
    const info = await tf.profile(() => tf.dispose(reLU({ maxValue: 6 }).apply(x) as tf.Tensor));
    expect(info.kernels.map((k) => k.name)).toEqual(['Relu6']);
    tf.dispose([x, dy, ...stock.result, ...loupe.result]);
  });

  it('is saved under tfjs’s class name and read back as Loupe’s class', async () => {
    await tf.setBackend('cpu');
    const input = tf.input({ shape: [4] });
    const m = tf.model({ inputs: input, outputs: reLU({ name: 'r', maxValue: 2 }).apply(input) as tf.SymbolicTensor });
    const json = m.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.map((l) => l.class_name)).toContain('ReLU');
    const restored = await tf.models.modelFromJSON({ modelTopology: json as never });
    expect(restored.getLayer('r')).toBeInstanceOf(ReLU);
    const y = restored.predict(tf.tensor2d([[-1, 0.5, 1.5, 3]])) as tf.Tensor;
    expect(Array.from(await y.data())).toEqual([0, 0.5, 1.5, 2]);
  });
});
