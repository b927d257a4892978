/**
 * A run's exports side by side: every ONNX bundle exported from the run that is still on disk,
 * scored by ONNX Runtime on the run's test split with the task's own metric, with its size on
 * disk, its speed on this machine and the parity numbers measured when it was exported.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { exportParitySchema } from './export';
import { runIdSchema } from '../training/config';
import { trainingDatasetSchema } from '../training/dataset';

/** Images one latency and throughput measurement runs (the test split's first ones, repeated when fewer). */
export const SPEED_IMAGES = 32;
/** Images per call when measuring throughput (latency is measured one image per call). */
export const THROUGHPUT_BATCH = 8;

/** An export of a run, as the run folder records it. */
export const runExportSchema = z.object({
  format: z.string(),
  outDir: absolutePathSchema,
  /** The model file inside outDir. */
  modelFile: z.string(),
  preprocessingBaked: z.boolean(),
  exportedAt: z.string(),
});
export type RunExport = z.infer<typeof runExportSchema>;

export const trainingExports = defineChannel({
  name: 'training.exports',
  summary: "A run's exports whose bundle folder is still on disk, newest per format.",
  request: z.object({ runId: runIdSchema }).strict(),
  reply: z.object({ exports: z.array(runExportSchema) }),
});

/** The metric a task is compared on, and which way is better. */
export const comparisonMetricSchema = z.object({
  /** accuracy (classification), Dice (segmentation, mean over classes), mAP@0.5 (detection), EER (verification). */
  name: z.enum(['accuracy', 'Dice', 'mAP@0.5', 'EER']),
  lowerIsBetter: z.boolean(),
});

/**
 * Where a row's model comes from: this run's own export, or the export of a run that compressed
 * this one (pruned while fine-tuning from it, or distilled with it as the teacher).
 */
export const comparisonSourceSchema = z.object({
  kind: z.enum(['this run', 'pruned', 'distilled']),
  runId: z.string(),
  /** "80 % sparse", "small-cnn student, T 4, α 0.5": what was done, in a few words. */
  detail: z.string(),
});
export type ComparisonSource = z.infer<typeof comparisonSourceSchema>;

export const comparisonRowSchema = z.object({
  source: comparisonSourceSchema,
  format: z.string(),
  precision: z.enum(['fp32', 'int8']),
  outDir: z.string(),
  modelBytes: z.number().int(),
  /** The metric of this file run by ONNX Runtime on the split; null when the split cannot give it (one class only). */
  metric: z.number().nullable(),
  /** Median milliseconds of one image per call, after a warm-up. */
  latencyMs: z.number(),
  imagesPerSecond: z.number(),
  /** As measured at export (the bundle card's), against Loupe's own predictions. */
  parity: exportParitySchema.pick({ images: true, maxAbsDiff: true, samePredictions: true, split: true }),
});
export type ComparisonRow = z.infer<typeof comparisonRowSchema>;

/** What the engine measures: no parity (main reads it from each bundle's card). */
export const compareExportsReplySchema = z.object({
  metric: comparisonMetricSchema,
  /** Loupe's own model (tfjs) on the same images, the reference each row is read against. */
  loupeMetric: z.number().nullable(),
  images: z.number().int(),
  runtime: z.string(),
  rows: z.array(
    comparisonRowSchema.omit({ parity: true, outDir: true, source: true }).extend({ modelFile: absolutePathSchema }),
  ),
});

export const compareExportsRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    variants: z
      .array(
        z.object({
          format: z.string(),
          precision: z.enum(['fp32', 'int8']),
          modelFile: absolutePathSchema,
          preprocessingBaked: z.boolean(),
        }),
      )
      .min(1),
    dataset: trainingDatasetSchema,
    split: z.enum(['test', 'train']),
  })
  .strict();

export const exportComparisonSchema = compareExportsReplySchema.omit({ rows: true }).extend({
  runId: z.string(),
  split: z.enum(['test', 'train']),
  /**
   * One row per ONNX export on disk: the run's own (fp32, int8), then those of the runs that pruned
   * or distilled it; none is invented for a variant not exported.
   */
  rows: z.array(comparisonRowSchema),
  /** Compressed runs left out, and why (not exported yet, or a model that takes other inputs). */
  skipped: z.array(z.object({ runId: z.string(), kind: z.enum(['pruned', 'distilled']), reason: z.string() })),
});
export type ExportComparison = z.infer<typeof exportComparisonSchema>;

export const trainingCompareExports = defineChannel({
  name: 'training.compareExports',
  summary:
    "A run's ONNX exports compared: the task's metric on the test split in ONNX Runtime, size on disk, latency and images/s, and parity.",
  request: z.object({ runId: runIdSchema }).strict(),
  reply: exportComparisonSchema,
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});
