/**
 * One benchmark configuration, measured in its own process (bench/train.ts starts one per
 * configuration: kernel registrations are process-wide, and stock wasm must not see Loupe's).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../ml/backend';
import { batchGradients } from '../ml/parallel/batch-gradients';
import { DataParallelGradients } from '../ml/parallel/data-parallel';
import { resolveLoss, type LossSpec } from '../ml/parallel/loss-registry';
import { referenceCnn, referenceUNet } from './reference-models';

export type CaseName = 'loupe-1' | 'loupe-2' | 'stock-wasm' | 'stock-cpu';

export interface Measurement {
  /** images/s, or the reason there is no number. */
  cnnTrain: number | string;
  cnnInfer: number | string;
  unetTrain: number | string;
  unetInfer: number | string;
  /** Two-thread speed-up of CNN training by batch size (loupe-2 only). */
  splitGain?: Record<number, number>;
}

export interface Plan {
  cnnBatch: number;
  unetBatch: number;
  steps: number;
}

interface Workload {
  model: tf.LayersModel;
  loss: LossSpec;
  xs: tf.Tensor;
  ys: tf.Tensor;
}

function cnnWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1), tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10).toFloat()]);
  return { model: referenceCnn(), loss: { name: 'categoricalCrossentropy' }, xs: xs!, ys: ys! };
}

function unetWorkload(batch: number): Workload {
  const [xs, ys] = tf.tidy(() => [tf.randomNormal([batch, 128, 128, 1], 0, 1, 'float32', 3), tf.randomUniform([batch, 128, 128, 1], 0, 1, 'float32', 4).round()]);
  return { model: referenceUNet(), loss: { name: 'binaryCrossentropy' }, xs: xs!, ys: ys! };
}

/** images/s from the median step time after `warmup` untimed steps. */
async function rate(batch: number, warmup: number, steps: number, step: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await step();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return batch / (times[Math.floor(times.length / 2)]! / 1000);
}

async function trainRate(w: Workload, warmup: number, steps: number, parallel: DataParallelGradients | null): Promise<number> {
  // Typed as the base class: AdamOptimizer's own declaration narrows the map to variables.
  const optimizer: tf.Optimizer = tf.train.adam(1e-3);
  const loss = resolveLoss(w.loss);
  const step = async () => {
    const { value, grads } = parallel
      ? await parallel.computeGradients(w.xs, w.ys)
      : (() => {
          const g = batchGradients(w.model, loss, w.xs, w.ys);
          const map: tf.NamedTensorMap = {};
          w.model.trainableWeights.forEach((v, i) => (map[v.name] = g.grads[i]!));
          return { value: g.loss, grads: map };
        })();
    optimizer.applyGradients(grads);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  try {
    return await rate(w.xs.shape[0]!, warmup, steps, step);
  } finally {
    optimizer.dispose();
  }
}

async function inferRate(w: Workload, warmup: number, steps: number): Promise<number> {
  return rate(w.xs.shape[0]!, warmup, steps, async () => {
    const y = w.model.predict(w.xs) as tf.Tensor;
    await y.data();
    y.dispose();
  });
}

/** Runs `measure`, or returns why it cannot run on this backend (first line of the error). */
async function orReason(measure: () => Promise<number>): Promise<number | string> {
  try {
    return await measure();
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80);
  }
}

function dispose(w: Workload): void {
  tf.dispose([w.xs, w.ys]);
  w.model.dispose();
}

export async function measureCase(name: CaseName, plan: Plan): Promise<Measurement> {
  if (name === 'stock-wasm') {
    // The engine's loader would register Loupe's kernels; stock wasm is loaded by hand.
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const wasmFile = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
    await tf.setBackend('wasm');
  } else {
    await initBackend(name === 'stock-cpu' ? 'cpu' : 'wasm');
  }
  const slow = name === 'stock-cpu';
  // Stock cpu trains at well under one image per second: one small timed step is enough.
  const cnnTrainBatch = slow ? 8 : plan.cnnBatch;
  const unetTrainBatch = slow ? 1 : plan.unetBatch;
  const [warmup, steps] = slow ? [0, 1] : [2, plan.steps];

  const result: Measurement = { cnnTrain: '', cnnInfer: '', unetTrain: '', unetInfer: '' };
  const withParallel = async (w: Workload, run: (p: DataParallelGradients | null) => Promise<number>) => {
    if (name !== 'loupe-2') return run(null);
    const parallel = await DataParallelGradients.start({ model: w.model, loss: w.loss, minBatchToSplit: 2 });
    try {
      return await run(parallel);
    } finally {
      await parallel.dispose();
    }
  };

  let w = cnnWorkload(cnnTrainBatch);
  result.cnnTrain = await orReason(() => withParallel(w, (p) => trainRate(w, warmup, steps, p)));
  if (cnnTrainBatch !== plan.cnnBatch) {
    dispose(w);
    w = cnnWorkload(plan.cnnBatch);
  }
  result.cnnInfer = name === 'loupe-2' ? 'same as 1 thread' : await orReason(() => inferRate(w, warmup, steps));
  dispose(w);

  w = unetWorkload(unetTrainBatch);
  result.unetTrain = await orReason(() => withParallel(w, (p) => trainRate(w, slow ? 0 : 1, slow ? 1 : Math.max(2, plan.steps - 2), p)));
  if (unetTrainBatch !== plan.unetBatch) {
    dispose(w);
    w = unetWorkload(plan.unetBatch);
  }
  result.unetInfer = name === 'loupe-2' ? 'same as 1 thread' : await orReason(() => inferRate(w, slow ? 0 : 1, slow ? 1 : plan.steps));
  dispose(w);

  if (name === 'loupe-1' || name === 'loupe-2') result.splitGain = await splitSweep(name, plan.steps);
  return result;
}

/** CNN training images/s at smaller batches, to place the two-thread threshold. */
async function splitSweep(name: CaseName, steps: number): Promise<Record<number, number>> {
  const out: Record<number, number> = {};
  for (const batch of [8, 16, 32]) {
    const w = cnnWorkload(batch);
    out[batch] = await (async () => {
      if (name === 'loupe-1') return trainRate(w, 2, steps, null);
      const parallel = await DataParallelGradients.start({ model: w.model, loss: w.loss, minBatchToSplit: 2 });
      try {
        return await trainRate(w, 2, steps, parallel);
      } finally {
        await parallel.dispose();
      }
    })();
    dispose(w);
  }
  return out;
}
