/**
 * Batch prediction over folders (the Batch section and `loupe predict`): a model predicts every
 * file under some paths into an output folder that can be resumed after any stop, each file once.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { PREDICT_RUNTIMES, RUNTIME_CHOICES, TASK_KINDS } from '../tasks';
import { EXPLAIN_METHODS } from '../engine/explain';
import { DEFAULT_GALLERY_MATCHES, MAX_GALLERY_MATCHES } from '../training/verification';

export const BATCH_FORMATS = ['csv', 'jsonl', 'coco', 'yolo', 'masks'] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];
/** Most input paths per call (each may be a folder of any size). */
export const MAX_BATCH_INPUTS = 1000;

export const batchProgressSchema = z.object({
  /** Files finished in this call (predicted or reported as unreadable). */
  done: z.number().int().min(0),
  failed: z.number().int().min(0),
  frames: z.number().int().min(0),
  /** Files found already finished by an earlier call (resume). */
  skipped: z.number().int().min(0),
  /** The files of the latest group that could not be predicted, with why (all are in manifest.jsonl). */
  failures: z.array(z.object({ path: z.string(), reason: z.string() })).default([]),
  /** What ran the model, once it has predicted. */
  runtime: z.enum(PREDICT_RUNTIMES).optional(),
});
export type BatchProgress = z.infer<typeof batchProgressSchema>;

/** Verification's match against the enrolled gallery: the k nearest references of each frame. */
export const batchGallerySchema = z
  .object({ k: z.number().int().min(1).max(MAX_GALLERY_MATCHES).default(DEFAULT_GALLERY_MATCHES) })
  .strict();

/** A completed run of the open workspace, or a Loupe model folder (or, to predict, an exported bundle). */
export const batchModelSchema = z.union([
  z.object({ runId: z.string().min(1) }).strict(),
  z.object({ dir: absolutePathSchema }).strict(),
]);

export const batchPredictRequestSchema = z
  .object({
    model: batchModelSchema,
    inputs: z.array(absolutePathSchema).min(1).max(MAX_BATCH_INPUTS),
    out: absolutePathSchema,
    /** Empty: the task's default formats. */
    formats: z.array(z.enum(BATCH_FORMATS)).default([]),
    /** Detection score threshold or verification decision threshold instead of the model card's. */
    threshold: z.number().finite().optional(),
    resume: z.boolean().default(false),
    /** 'auto': the model runs on the fastest runtime that agrees with Loupe's engine; 'engine': on the engine. */
    runtime: z.enum(RUNTIME_CHOICES).default('auto'),
    /** Verification: match every frame against the model's enrolled gallery, keeping the k nearest. */
    gallery: batchGallerySchema.optional(),
    /** Classification: also write a heatmap PNG per frame (the predicted class) with this method. */
    explain: z.enum(EXPLAIN_METHODS).optional(),
    shard: z
      .object({ index: z.number().int().min(0), count: z.number().int().min(1) })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();

export const batchReportSchema = batchProgressSchema.omit({ failures: true, runtime: true }).extend({
  out: z.string(),
  model: z.object({
    modelId: z.string(),
    weightsSha256: z.string(),
    task: z.enum(TASK_KINDS),
    classes: z.array(z.string()),
  }),
  cancelled: z.boolean(),
  /** What ran the model in this call (null: no frame was predicted). */
  runtime: z.enum(PREDICT_RUNTIMES).nullable(),
});
export type BatchReport = z.infer<typeof batchReportSchema>;

export const batchPredict = defineChannel({
  name: 'batch.predict',
  summary:
    'Predict every file under the inputs into a resumable output folder, streaming progress; cancellable (resume finishes it).',
  request: batchPredictRequestSchema,
  reply: batchReportSchema,
  progress: batchProgressSchema,
});

export const batchMerge = defineChannel({
  name: 'batch.merge',
  summary: 'Join the output folders of all shards of one batch into one, checking every file is present once.',
  request: z
    .object({ dirs: z.array(absolutePathSchema).min(1).max(MAX_BATCH_INPUTS), out: absolutePathSchema })
    .strict(),
  reply: z.object({ out: z.string(), shards: z.number().int(), files: z.number().int(), failed: z.number().int() }),
});
