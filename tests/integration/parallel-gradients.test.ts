/**
 * Two-thread data parallelism (ml/parallel) with the built gradient worker
 * (out/main/gradient-worker.js): the combined gradients equal one thread's on the same batch,
 * batch-norm models equal the sample-weighted mean of their halves, and a step leaks nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../ml/backends/select';
import { expectClose, seededValues } from '../../ml/backends/wasm-kernels/kernel-test-support';
import { batchGradients } from '../../ml/parallel/batch-gradients';
import { DataParallelGradients } from '../../ml/parallel/data-parallel';
import { resolveLoss, type LossSpec } from '../../ml/parallel/loss-registry';

/** Gradients summed in another order (two halves, then weighted): see kernel-test-support. */
const PARALLEL_RTOL = 1e-4;
const BATCH = 6;
const CROSS_ENTROPY: LossSpec = { name: 'categoricalCrossentropy' };

function classifier(withBatchNorm: boolean): tf.LayersModel {
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({
      inputShape: [8, 8, 2],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
    ...(withBatchNorm ? [tf.layers.batchNormalization()] : []),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ];
  return tf.sequential({ layers });
}

function batchOf(size: number): { xs: tf.Tensor; ys: tf.Tensor } {
  const xs = tf.tensor4d(seededValues(size * 8 * 8 * 2, 61), [size, 8, 8, 2]);
  const ys = tf.tidy(() =>
    tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: size }, (_, i) => i % 3),
          'int32',
        ),
        3,
      )
      .toFloat(),
  );
  return { xs, ys };
}

async function values(t: tf.Tensor) {
  return { values: (await t.data()) as Float32Array, shape: t.shape };
}

describe('two-thread gradients', () => {
  const sessions: DataParallelGradients[] = [];
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.dispose()));
  });

  async function start(model: tf.LayersModel, minBatchToSplit = 2) {
    const session = await DataParallelGradients.start({ model, loss: CROSS_ENTROPY, minBatchToSplit });
    sessions.push(session);
    return session;
  }

  it('equal one thread’s gradients and loss for the same batch', async () => {
    const model = classifier(false);
    const parallel = await start(model);
    const { xs, ys } = batchOf(BATCH);
    const single = batchGradients(model, resolveLoss(CROSS_ENTROPY), xs, ys);
    const split = await parallel.computeGradients(xs, ys);
    expect((await split.value.data())[0]).toBeCloseTo((await single.loss.data())[0]!, 5);
    for (const [i, w] of model.trainableWeights.entries()) {
      expectClose(await values(split.grads[w.name]!), await values(single.grads[i]!), w.name, PARALLEL_RTOL);
    }
    // A fixed split keeps runs reproducible: the same batch gives bit-identical gradients.
    const again = await parallel.computeGradients(xs, ys);
    for (const w of model.trainableWeights) {
      expectClose(await values(again.grads[w.name]!), await values(split.grads[w.name]!), `${w.name} again`, 0, 0);
    }
    tf.dispose([
      xs,
      ys,
      single.loss,
      ...single.grads,
      split.value,
      ...Object.values(split.grads),
      again.value,
      ...Object.values(again.grads),
    ]);
  });

  it('with batch normalisation, equal the sample-weighted mean of each part’s gradients (odd batch)', async () => {
    const model = classifier(true);
    const parallel = await start(model);
    const { xs, ys } = batchOf(5);
    const loss = resolveLoss(CROSS_ENTROPY);
    const movingBefore = model.weights.filter((w) => !w.trainable).map((w) => w.read().clone());
    // Reference: this thread's part (first 3) and the worker's part (last 2), weighted 3:2.
    const first = batchGradients(model, loss, xs.slice(0, 3), ys.slice(0, 3));
    const firstStats = model.weights.filter((w) => !w.trainable).map((w) => w.read().clone());
    model.weights.filter((w) => !w.trainable).forEach((w, i) => w.write(movingBefore[i]!.clone()));
    const second = batchGradients(model, loss, xs.slice(3, 2), ys.slice(3, 2));
    const secondStats = model.weights.filter((w) => !w.trainable).map((w) => w.read().clone());
    model.weights.filter((w) => !w.trainable).forEach((w, i) => w.write(movingBefore[i]!.clone()));

    const split = await parallel.computeGradients(xs, ys);
    for (const [i, w] of model.trainableWeights.entries()) {
      const expected = tf.tidy(() => tf.add(tf.mul(first.grads[i]!, 3 / 5), tf.mul(second.grads[i]!, 2 / 5)));
      expectClose(await values(split.grads[w.name]!), await values(expected), w.name, PARALLEL_RTOL);
      expected.dispose();
    }
    // Running statistics: the same 3:2 mean of what each part's update gave.
    for (const [i, w] of model.weights.filter((v) => !v.trainable).entries()) {
      const expected = tf.tidy(() => tf.add(tf.mul(firstStats[i]!, 3 / 5), tf.mul(secondStats[i]!, 2 / 5)));
      expectClose(await values(w.read()), await values(expected), w.name, PARALLEL_RTOL);
      expected.dispose();
    }
    tf.dispose([
      xs,
      ys,
      first.loss,
      ...first.grads,
      second.loss,
      ...second.grads,
      ...movingBefore,
      ...firstStats,
      ...secondStats,
      split.value,
      ...Object.values(split.grads),
    ]);
  });

  it('keeps small batches on this thread and leaves no tensor behind after a step', async () => {
    const model = classifier(false);
    const parallel = await start(model, 4);
    const optimizer = tf.train.sgd(0.1);
    const step = async (size: number) => {
      const { xs, ys } = batchOf(size);
      const { value, grads } = await parallel.computeGradients(xs, ys);
      optimizer.applyGradients(grads);
      tf.dispose([xs, ys, value, ...Object.values(grads)]);
    };
    await step(BATCH);
    const before = tf.memory().numTensors;
    await step(BATCH);
    await step(3);
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
  });

  it('refuses a loss the worker cannot look up', async () => {
    await expect(
      DataParallelGradients.start({ model: classifier(false), loss: { name: 'myCustomLoss' } }),
    ).rejects.toThrow(/cannot be split across threads/);
  });

  it('fails a step with bad labels, and the next step still works', async () => {
    const model = classifier(false);
    const parallel = await start(model);
    const { xs, ys } = batchOf(BATCH);
    const wrongWidth = tf.zeros([BATCH, 4]);
    await expect(parallel.computeGradients(xs, wrongWidth)).rejects.toThrow();
    const ok = await parallel.computeGradients(xs, ys);
    expect(Number.isFinite((await ok.value.data())[0])).toBe(true);
    tf.dispose([xs, ys, wrongWidth, ok.value, ...Object.values(ok.grads)]);
  });

  it('says so when the worker thread has stopped', async () => {
    const model = classifier(false);
    const parallel = await start(model);
    await (parallel as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const { xs, ys } = batchOf(BATCH);
    await expect(parallel.computeGradients(xs, ys)).rejects.toThrow(/second training thread stopped/);
    tf.dispose([xs, ys]);
  });
});

describe('two-thread gradients on the cpu backend', () => {
  let session: DataParallelGradients | null = null;
  beforeAll(async () => {
    await initBackend('cpu');
  });
  afterAll(async () => {
    await session?.dispose();
    await initBackend('wasm');
  });

  // The cpu backend's slices share their parent's buffer: sending one to the worker must not
  // detach the batch this thread still trains on.
  it('leave the batch intact and equal one thread’s gradients', async () => {
    const model = classifier(false);
    session = await DataParallelGradients.start({ model, loss: CROSS_ENTROPY, minBatchToSplit: 2 });
    const { xs, ys } = batchOf(BATCH);
    const single = batchGradients(model, resolveLoss(CROSS_ENTROPY), xs, ys);
    const split = await session.computeGradients(xs, ys);
    for (const [i, w] of model.trainableWeights.entries()) {
      expectClose(await values(split.grads[w.name]!), await values(single.grads[i]!), w.name, PARALLEL_RTOL);
    }
    expect((await xs.data()).length).toBe(BATCH * 8 * 8 * 2);
    tf.dispose([xs, ys, single.loss, ...single.grads, split.value, ...Object.values(split.grads)]);
  });
});
