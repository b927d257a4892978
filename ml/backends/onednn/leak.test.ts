/**
 * The oneDNN backend frees what it allocates: 200 training steps of a small CNN (every native
 * kernel: convolutions and their gradients, products, bias gradients, pooling gradients, concat
 * and split) leave tfjs's tensor count and bytes, and the freed buffers the backend keeps for
 * reuse, where they were after warm-up, and the process's resident memory (tensors, oneDNN's
 * scratch and primitive cache) does not grow with the number of steps. The engine's own step (the reference small CNN, Adam fused in place)
 * keeps the tensor count and bytes flat too.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../select';
import { batchGradients } from '../../parallel/batch-gradients';
import { resolveLoss } from '../../parallel/loss-registry';
import { loadOneDnn } from './addon';
import type { OneDnnBackend } from './native-backend';
import { referenceStep } from './reference-steps';

const STEPS = 200;
/**
 * RSS moves for reasons of its own (V8's heap grows for a while, the allocator keeps freed pages),
 * so the check is on 200 steps after WARM_UP_STEPS let it settle: a leak of one 8 × 16 × 16 × 8
 * activation (64 KiB) per step would add 12.5 MiB there. RSS still rose about 17 KiB a step over
 * steps 800–1,600 (the same before and after the lean gradients), and 1.6 MiB in all over steps
 * 2,500–5,000; after 200 warm-up steps the next 200 added 3–7 MiB, 8.4 once beside the rest of
 * the suite.
 */
const WARM_UP_STEPS = 600;
const RSS_SLACK_BYTES = 8 * 2 ** 20;

function model(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 1] });
  const a = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(input) as tf.SymbolicTensor;
  const b = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(a) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
  const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(joined) as tf.SymbolicTensor;
  const up = tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2 }).apply(pooled) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(up) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe.skipIf(!loadOneDnn().addon && process.env.CI !== 'true')('oneDNN backend memory', () => {
  it(`stays flat over ${STEPS} training steps`, async () => {
    await initBackend('onednn');
    const net = model();
    // Typed as the base class: AdamOptimizer's own declaration narrows the map to variables.
    const optimizer: tf.Optimizer = tf.train.adam(1e-3);
    const loss = resolveLoss({ name: 'categoricalCrossentropy' });
    const xs = tf.randomNormal([8, 16, 16, 1], 0, 1, 'float32', 1);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3).toFloat();
    const step = async () => {
      const { loss: value, grads } = batchGradients(net, loss, xs, ys);
      const named: tf.NamedTensorMap = {};
      net.trainableWeights.forEach((w, i) => (named[w.name] = grads[i]!));
      optimizer.applyGradients(named);
      await value.data();
      tf.dispose([value, ...grads]);
    };
    const pooled = () => (tf.backend() as OneDnnBackend).memory().pooledBytes;
    for (let i = 0; i < WARM_UP_STEPS; i++) await step();
    const before = { ...tf.memory(), rss: process.memoryUsage().rss, pooled: pooled() };
    for (let i = 0; i < STEPS; i++) await step();
    const after = { ...tf.memory(), rss: process.memoryUsage().rss, pooled: pooled() };
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    // Freed buffers kept for reuse do not pile up either.
    expect(after.pooled).toBe(before.pooled);
    expect(after.rss - before.rss).toBeLessThan(RSS_SLACK_BYTES);
    console.log(
      `[onednn memory] steps ${WARM_UP_STEPS}–${WARM_UP_STEPS + STEPS}: tensors ${after.numTensors}, tensor bytes ${after.numBytes}, RSS ${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB change`,
    );
    tf.dispose([xs, ys]);
    optimizer.dispose();
    net.dispose();
  }, 120_000);

  it(`stays flat over ${STEPS} engine steps with the fused in-place Adam`, async () => {
    await initBackend('onednn');
    const reference = referenceStep('small CNN');
    for (let i = 0; i < STEPS / 2; i++) await reference.step();
    const before = tf.memory();
    for (let i = 0; i < STEPS / 2; i++) await reference.step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    reference.dispose();
  }, 120_000);
});
