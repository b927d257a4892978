/**
 * Runs a classifier or U-Net over prepared samples (no augmentation, inference mode) and scores
 * it. Detection and verification have their own in ./tasks; ./tasks/evaluation.ts picks.
 */
import * as tf from '@tensorflow/tfjs';
import {
  LoupeError,
  type EvaluationReport,
  type PairResult,
  type PreprocessingSpec,
  type SamplePrediction,
  type SplitName,
  type TaskKind,
} from '../../contract/index';
import { batchRanges, makeBatch } from '../data/batches';
import type { PreparedSample } from '../data/dataset';
import type { LossFunction } from '../losses/index';
import { classificationReport } from '../metrics/classification';
import { SegmentationMetrics } from '../metrics/segmentation';
import { yieldToMessages } from '../worker/runtime';
import { classMap, classPixelCounts, maskOnFrame, softmaxRow } from './outputs';
import { outputOf, type ScoredModel } from './scored-model';

export interface EvaluateOptions {
  task: TaskKind;
  classes: readonly string[];
  spec: PreprocessingSpec;
  split: SplitName;
  batchSize: number;
  /** Also report the mean loss. */
  loss?: LossFunction;
  /** Keep each sample's prediction (probabilities, or its mask on the frame). */
  keepPredictions?: boolean;
  signal?: AbortSignal;
  onBatch?: (done: number, total: number) => void;
}

export interface EvaluationOutcome {
  report: EvaluationReport;
  loss: number | null;
  predictions: { id: string; prediction: SamplePrediction }[];
  /** Verification: every pair scored, with its decision (kept with the predictions). */
  pairs?: PairResult[];
}

export async function evaluateSamples(
  model: ScoredModel,
  samples: readonly PreparedSample[],
  options: EvaluateOptions,
): Promise<EvaluationOutcome> {
  const { task, classes, spec } = options;
  const k = classes.length;
  const pixels = spec.rows * spec.columns;
  const truth: number[] = [];
  const probabilities: number[][] = [];
  const segmentation = new SegmentationMetrics(classes);
  const predictions: EvaluationOutcome['predictions'] = [];
  let lossSum = 0;
  const ranges = batchRanges(samples.length, options.batchSize);
  // One batch in flight: the next batch's forward pass is issued before this one's outputs are
  // awaited, so a GPU computes while JavaScript builds the next batch (on a CPU nothing changes).
  let next: Promise<ScoredBatch> | null = null;
  for (const [index, range] of ranges.entries()) {
    if (options.signal?.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    const scored = await (next ?? scoreBatch(model, samples, range, options));
    next = index + 1 < ranges.length ? scoreBatch(model, samples, ranges[index + 1]!, options) : null;
    // A batch issued and then not awaited (a failure, a cancel) still frees its tensors when its reads settle.
    next?.catch(() => {});
    const [logits, lossValue] = await scored.reads;
    const indices = scored.indices;
    if (lossValue !== undefined) lossSum += lossValue * indices.length;
    const channels = logits.length / (indices.length * (task === 'segmentation' ? pixels : 1));
    indices.forEach((sampleIndex, b) => {
      const sample = samples[sampleIndex]!;
      if (task === 'classification') {
        const row = channels === 1 ? sigmoidPair(logits[b]!) : softmaxRow(logits, b * channels, channels);
        truth.push(sample.label!);
        probabilities.push(row);
        if (options.keepPredictions)
          predictions.push({
            id: sample.id,
            prediction: { probabilities: row, predicted: row.indexOf(Math.max(...row)) },
          });
      } else {
        const map = classMap(logits, b * pixels * channels, pixels, channels);
        segmentation.add(sample.mask!, map);
        if (options.keepPredictions) {
          const mask = maskOnFrame(map, spec.columns, sample.placement, sample.frameRows, sample.frameColumns);
          predictions.push({
            id: sample.id,
            prediction: {
              mask,
              rows: sample.frameRows,
              columns: sample.frameColumns,
              classPixels: classPixelCounts(mask, k),
            },
          });
        }
      }
    });
    options.onBatch?.(index + 1, ranges.length);
    await yieldToMessages();
  }
  const report =
    task === 'classification'
      ? classificationReport(truth, probabilities, classes, options.split)
      : segmentation.report(options.split);
  return { report, loss: options.loss && samples.length ? lossSum / samples.length : null, predictions };
}

interface ScoredBatch {
  indices: number[];
  /** The batch's logits and mean loss (when asked), read back; its tensors are freed once they are. */
  reads: Promise<[Float32Array, number | undefined]>;
}

/** Issues a batch's forward pass (and loss) and begins reading them back. */
async function scoreBatch(
  model: ScoredModel,
  samples: readonly PreparedSample[],
  [start, end]: readonly [number, number],
  options: EvaluateOptions,
): Promise<ScoredBatch> {
  const indices = Array.from({ length: end - start }, (_, i) => start + i);
  const batch = makeBatch(samples, indices, { spec: options.spec });
  try {
    const out = await outputOf(model, batch.x);
    const loss = options.loss ? tf.tidy(() => options.loss!(batch.y, out)) : undefined;
    const reads = Promise.all([out.data(), loss?.data()])
      .then(([logits, value]): [Float32Array, number | undefined] => [logits as Float32Array, value?.[0]])
      .finally(() => tf.dispose([out, loss]));
    reads.catch(() => {});
    return { indices, reads };
  } finally {
    tf.dispose([batch.x, batch.y]);
  }
}

function sigmoidPair(z: number): number[] {
  const p = 1 / (1 + Math.exp(-z));
  return [1 - p, p];
}
