/**
 * One benchmark configuration, measured in its own process (bench/train.ts starts one per
 * configuration: kernel registrations are process-wide, and stock wasm must not see Loupe's).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../ml/backends/select';
import { loadOneDnn } from '../ml/backends/onednn/addon';
import { measureCoverage, type KernelCoverage } from '../ml/backends/onednn/coverage';
import { REFERENCE_MODELS, referenceStep, type ReferenceModel } from '../ml/backends/onednn/reference-steps';
import { DataParallelGradients } from '../ml/parallel/data-parallel';
import { stepReplaySetting } from '../ml/train/step-replays';
import {
  bnCnnWorkload,
  cnnWorkload,
  dispose,
  inferRate,
  oneThreadStep,
  trainRate,
  unetWorkload,
  type Workload,
} from './train-workloads';
import { adapterName, gradientAgreement, type GradientAgreement } from './train-webgpu';
import { median } from './stats';

export type CaseName =
  | 'onednn-1'
  | 'onednn-all'
  | 'loupe-1'
  | 'loupe-2'
  | 'stock-wasm'
  | 'stock-cpu'
  | 'webgpu'
  | 'webgpu-tape';

type WorkloadName = 'CNN' | 'BN CNN' | 'U-Net';

export interface Measurement {
  /** images/s, or the reason there is no number. */
  cnnTrain: number | string;
  cnnInfer: number | string;
  /** Loupe's default classifier (small CNN with batch norm), training images/s. */
  bnCnnTrain: number | string;
  unetTrain: number | string;
  unetInfer: number | string;
  /** One- and two-thread training images/s measured step by step in alternation (loupe-2 only). */
  paired?: PairedRate[];
  /** oneDNN 1 thread: per reference model, the kernel calls of one training step on the addon, views and fallbacks. */
  coverage?: ModelCoverage[];
  /** webgpu only: the adapter, and one reference training step's gradients against the cpu backend. */
  adapter?: string;
  agreement?: GradientAgreement[];
  /** webgpu only: GPU programs recorded in one training step of each workload. */
  dispatches?: Partial<Record<WorkloadName, number>>;
  /** webgpu only: how the timed training steps ran (replayed from a capture, ml/train/step-replays.ts, or why not). */
  replays?: Partial<Record<WorkloadName, string>>;
  /** The measuring process's peak resident memory over all four workloads, MiB. */
  peakRssMiB?: number;
}

export interface ModelCoverage extends KernelCoverage {
  model: ReferenceModel;
}

export interface PairedRate {
  model: 'CNN' | 'U-Net';
  batch: number;
  one: number;
  two: number;
}

export interface Plan {
  cnnBatch: number;
  unetBatch: number;
  /** Batch of the batch-norm CNN (the Train section's default is 16). */
  bnCnnBatch: number;
  steps: number;
  /** Threads of the onednn-all row (every core unless `--threads` says otherwise). */
  allThreads: number;
  /** Also train the U-Net on stock cpu (one image takes minutes). */
  cpuUNet: boolean;
}

/** Counts, over one training step of the engine after a warm-up step, where each kernel call ran (coverage.ts). */
async function referenceCoverage(model: ReferenceModel): Promise<ModelCoverage> {
  const reference = referenceStep(model);
  try {
    await reference.step();
    return { model, ...(await measureCoverage(async () => void (await reference.step()))) };
  } finally {
    reference.dispose();
  }
}

/** Runs `measure`, or returns why it cannot run on this backend (first line of the error). */
async function orReason(measure: () => Promise<number>): Promise<number | string> {
  try {
    return await measure();
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80);
  }
}

export async function measureCase(name: CaseName, plan: Plan): Promise<Measurement> {
  if (name === 'stock-wasm') {
    // The engine's loader would register Loupe's kernels; stock wasm is loaded by hand.
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const wasmFile = createRequire(import.meta.url).resolve(
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    );
    wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
    await tf.setBackend('wasm');
  } else if (name === 'webgpu' || name === 'webgpu-tape') {
    const info = await initBackend('webgpu');
    stepReplaySetting.enabled = name === 'webgpu';
    // A hardware GPU only, as the engine chooses; LOUPE_BACKEND=webgpu forces Mesa's software adapter (a smoke run).
    if (info.device?.software && process.env.LOUPE_BACKEND !== 'webgpu')
      throw new Error(`only a software adapter (${info.device.name}), which is not a GPU`);
  } else if (name === 'onednn-1' || name === 'onednn-all') {
    await initBackend('onednn');
    loadOneDnn().addon!.setThreads(name === 'onednn-1' ? 1 : plan.allThreads);
  } else {
    await initBackend(name === 'stock-cpu' ? 'cpu' : 'wasm');
  }
  if (name === 'loupe-2') return measureTwoThreads(plan);
  const slow = name === 'stock-cpu';
  // Stock cpu trains at well under one image per second: one small timed step is enough.
  const cnnTrainBatch = slow ? 4 : plan.cnnBatch;
  const unetTrainBatch = slow ? 1 : plan.unetBatch;
  // On WebGPU the first step compiles the programs, the next two are captured (step-replays.ts), and
  // the one after is issued before Dawn has said that the replay found memory (a step is in flight).
  const gpu = name === 'webgpu' || name === 'webgpu-tape';
  const [warmup, steps] = slow ? [0, 1] : [gpu ? 4 : 2, plan.steps];

  const result: Measurement = { cnnTrain: '', cnnInfer: '', bnCnnTrain: '', unetTrain: '', unetInfer: '' };
  const counted = (workload: WorkloadName) =>
    gpu
      ? {
          dispatches: (count: number) => ((result.dispatches ??= {})[workload] = count),
          replays: (how: string) => ((result.replays ??= {})[workload] = how),
        }
      : undefined;
  let w = cnnWorkload(cnnTrainBatch);
  result.cnnTrain = await orReason(() => trainRate(w, warmup, steps, counted('CNN')));
  if (cnnTrainBatch !== plan.cnnBatch) {
    dispose(w);
    w = cnnWorkload(plan.cnnBatch);
  }
  result.cnnInfer = await orReason(() => inferRate(w, warmup, steps));
  dispose(w);

  if (slow) {
    result.bnCnnTrain = 'skipped on stock cpu';
  } else {
    w = bnCnnWorkload(plan.bnCnnBatch);
    result.bnCnnTrain = await orReason(() => trainRate(w, warmup, steps, counted('BN CNN')));
    dispose(w);
  }

  w = unetWorkload(unetTrainBatch);
  result.unetTrain =
    slow && !plan.cpuUNet
      ? 'skipped (--cpu-unet: minutes)'
      : await orReason(() => trainRate(w, slow ? 0 : gpu ? 3 : 1, slow ? 1 : plan.steps, counted('U-Net')));
  if (unetTrainBatch !== plan.unetBatch) {
    dispose(w);
    w = unetWorkload(plan.unetBatch);
  }
  result.unetInfer = await orReason(() => inferRate(w, slow ? 0 : 1, slow ? 1 : plan.steps));
  dispose(w);
  if (gpu) result.adapter = adapterName();
  if (name === 'webgpu') result.agreement = await gradientAgreement();
  if (name === 'onednn-1') {
    result.coverage = [];
    for (const model of REFERENCE_MODELS) result.coverage.push(await referenceCoverage(model));
  }
  return result;
}

/**
 * Two threads against one on the same model and batch, one step of each in turn: on a shared
 * machine the load drifts, and alternating exposes both to the same drift.
 */
async function pairedRate(w: Workload, steps: number): Promise<{ one: number; two: number }> {
  const optimizer: tf.Optimizer = tf.train.adam(1e-3);
  const parallel = await DataParallelGradients.start({ model: w.model, loss: w.loss, minBatchToSplit: 2 });
  const oneThread = oneThreadStep(w, optimizer);
  const twoThreads = async () => {
    const { value, grads } = await parallel.computeGradients(w.xs, w.ys);
    optimizer.applyGradients(grads);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  try {
    await oneThread();
    await twoThreads();
    const times = { one: [] as number[], two: [] as number[] };
    for (let i = 0; i < steps; i++) {
      for (const [key, step] of [
        ['one', oneThread],
        ['two', twoThreads],
      ] as const) {
        const start = performance.now();
        await step();
        times[key].push(performance.now() - start);
      }
    }
    const batch = w.xs.shape[0]!;
    return { one: batch / (median(times.one) / 1000), two: batch / (median(times.two) / 1000) };
  } finally {
    optimizer.dispose();
    await parallel.dispose();
  }
}

async function measureTwoThreads(plan: Plan): Promise<Measurement> {
  const paired: PairedRate[] = [];
  const sweep: { model: PairedRate['model']; batch: number }[] = [
    ...[8, 16, 32, plan.cnnBatch].map((batch) => ({ model: 'CNN' as const, batch })),
    ...[4, plan.unetBatch].map((batch) => ({ model: 'U-Net' as const, batch })),
  ];
  for (const { model, batch } of sweep) {
    const w = model === 'CNN' ? cnnWorkload(batch) : unetWorkload(batch);
    paired.push({ model, batch, ...(await pairedRate(w, model === 'CNN' ? plan.steps : Math.max(3, plan.steps - 2))) });
    dispose(w);
  }
  const at = (model: PairedRate['model'], batch: number) =>
    paired.find((p) => p.model === model && p.batch === batch)!.two;
  return {
    cnnTrain: at('CNN', plan.cnnBatch),
    cnnInfer: 'as 1 thread',
    bnCnnTrain: 'not measured',
    unetTrain: at('U-Net', plan.unetBatch),
    unetInfer: 'as 1 thread',
    paired,
  };
}
