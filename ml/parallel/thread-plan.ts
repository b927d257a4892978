/**
 * How many threads a run's gradients use. Two threads give the same gradient as one only when
 * the loss is a mean over the batch's samples (see loss-registry.ts) and a batch can be cut in
 * two anywhere; they pay only where a second core is free and each half is big enough to
 * outweigh the cost of splitting (MIN_BATCH_TO_SPLIT samples, or MIN_PIXELS_TO_SPLIT pixels).
 */
import { LoupeError, type LossConfig, type TaskKind, type TrainingThreads } from '../../contract/index';
import { MIN_BATCH_TO_SPLIT } from './data-parallel';

export interface ThreadPlan {
  threads: number;
  /** True where the backend spreads each op over `threads` cores itself (oneDNN): no batch is cut. */
  native?: boolean;
  /** With two threads: batches smaller than this still run on one (a short last batch). */
  minBatchToSplit?: number;
  /** Why `auto` chose one thread (or why two were not possible), for the run record. */
  note?: string;
}

/**
 * Input pixels per batch from which two threads pay even below MIN_BATCH_TO_SPLIT samples:
 * what counts is the work per step. Measured with `npm run bench:train` on this project's 2-core
 * machine (two threads against one, alternating steps): CNN 32×32 batch 32 (32 768 pixels) 1.51×,
 * batch 16 1.22×, batch 8 1.04×; U-Net 128×128 batch 4 (65 536 pixels) 1.58×, batch 8 1.87×.
 */
export const MIN_PIXELS_TO_SPLIT = 32 * 32 * 32;
/** Two samples are the least a batch can be split into (one per thread). */
const SMALLEST_SPLIT = 2;

export interface ThreadPlanArgs {
  requested: TrainingThreads;
  task: TaskKind;
  loss: LossConfig;
  batchSize: number;
  /** Model input rows × columns. */
  inputPixels: number;
  /** The engine backend that will train (`wasm`, `cpu`, `onednn`, `tensorflow`). */
  backend: string;
  /** True where the machine has a second core (secondCoreAvailable()). */
  secondCore: boolean;
  /** Cores the backend may use (os.availableParallelism()). */
  cores: number;
}

/** Losses that are a mean over samples as ml/losses computes them (with every option). */
const PER_SAMPLE_LOSSES = new Set(['cross-entropy', 'focal', 'bce', 'dice', 'bce-dice', 'cross-entropy-dice']);
/** Tasks whose batches are independent samples; detection and verification batches are not cut. */
const SPLITTABLE_TASKS = new Set<TaskKind>(['classification', 'segmentation']);
/** Backends that compute on one thread; native TensorFlow already uses every core. */
const SINGLE_THREAD_BACKENDS = new Set(['wasm', 'cpu']);

/** Why this run's batches cannot be split without changing the gradient, or null when they can. */
export function splitProblem(task: TaskKind, loss: LossConfig): string | null {
  if (!SPLITTABLE_TASKS.has(task)) return `${task} batches are not independent samples`;
  if (!PER_SAMPLE_LOSSES.has(loss.name)) return `the ${loss.name} loss is not a mean over samples`;
  if (loss.name === 'cross-entropy' && loss.classWeights)
    return "cross-entropy with class weights divides by the batch's summed weights, not its sample count";
  return null;
}

export function planThreads(args: ThreadPlanArgs): ThreadPlan {
  // oneDNN divides every convolution and product among its threads: `threads` caps them, any
  // task and loss, and batches stay whole (the gradient is the one-thread gradient).
  if (args.backend === 'onednn')
    return { threads: args.requested === 'auto' ? args.cores : args.requested, native: true };
  if (args.requested === 1) return { threads: 1 };
  const problem = splitProblem(args.task, args.loss);
  if (args.requested === 2) {
    if (problem)
      throw new LoupeError(
        'INVALID_REQUEST',
        `Two training threads would change this run's gradients (${problem}); use 1 or auto threads.`,
      );
    return { threads: 2, minBatchToSplit: SMALLEST_SPLIT };
  }
  if (problem) return { threads: 1, note: `auto: one thread because ${problem}.` };
  if (!SINGLE_THREAD_BACKENDS.has(args.backend))
    return { threads: 1, note: `auto: one thread because the ${args.backend} backend already uses every core.` };
  if (!args.secondCore) return { threads: 1, note: 'auto: one thread because this machine has one core.' };
  // The smallest batch worth splitting: MIN_BATCH_TO_SPLIT samples, or fewer large ones.
  const minBatchToSplit = Math.max(
    SMALLEST_SPLIT,
    Math.min(MIN_BATCH_TO_SPLIT, Math.ceil(MIN_PIXELS_TO_SPLIT / args.inputPixels)),
  );
  if (args.batchSize < minBatchToSplit) {
    return {
      threads: 1,
      note: `auto: one thread because batches of ${args.batchSize} are too small to split with profit (from ${minBatchToSplit} at this input size).`,
    };
  }
  return { threads: 2, minBatchToSplit };
}
