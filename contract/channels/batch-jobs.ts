/**
 * Batch jobs: a batch prediction (see batch.ts) run in the background for the Batch section, like
 * a training run. The job lives in the services and is recorded in the workspace, so a reloaded
 * page or a second window sees it, and after a restart an unfinished job shows as interrupted and
 * resumes from its output folder's manifest (each file predicted once).
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel, defineEvent } from '../define';
import { PREDICT_RUNTIMES, TASK_KINDS } from '../tasks';
import { BATCH_FORMATS, batchGallerySchema, MAX_BATCH_INPUTS } from './batch';
import { EXPLAIN_METHODS } from '../engine/explain';
import { runIdSchema } from '../training/config';

export const BATCH_JOB_STATES = ['running', 'completed', 'cancelled', 'failed', 'interrupted'] as const;
export type BatchJobState = (typeof BATCH_JOB_STATES)[number];

export const batchJobIdSchema = z
  .string()
  .regex(/^batch-\d{8}-\d{6}-[0-9a-f]{4}$/, 'A batch job id looks like batch-20250101-093000-1a2b.');

export const batchJobModelSchema = z.union([
  z.object({ runId: runIdSchema }).strict(),
  z.object({ dir: absolutePathSchema }).strict(),
]);

export const batchJobSchema = z.object({
  jobId: z.string(),
  model: batchJobModelSchema,
  task: z.enum(TASK_KINDS),
  classes: z.array(z.string()),
  inputs: z.array(z.string()),
  out: z.string(),
  formats: z.array(z.enum(BATCH_FORMATS)),
  threshold: z.number().nullable(),
  /** Verification: matched against the model's gallery (k nearest kept); null: embeddings only. */
  gallery: z.object({ k: z.number().int() }).nullable(),
  /** Classification: the method of the heatmap PNG written per frame; null: none. */
  explain: z.enum(EXPLAIN_METHODS).nullable(),
  state: z.enum(BATCH_JOB_STATES),
  /** True while this Loupe is predicting it (cancel reaches it). */
  active: z.boolean(),
  error: z.string().nullable(),
  /** Files under the inputs; null until they have been counted. */
  total: z.number().int().min(0).nullable(),
  /** Files finished, this session and earlier ones together (predicted or unreadable). */
  finished: z.number().int().min(0),
  failed: z.number().int().min(0),
  /** Files predicted per second this session; null before the first group. */
  imagesPerSecond: z.number().min(0).nullable(),
  etaMs: z.number().min(0).nullable(),
  /** What ran the model in the latest session that predicted (null before any). */
  runtime: z.enum(PREDICT_RUNTIMES).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type BatchJob = z.infer<typeof batchJobSchema>;

const jobRef = z.object({ jobId: batchJobIdSchema }).strict();

export const batchStart = defineChannel({
  name: 'batch.start',
  summary:
    'Start a batch prediction in the background (one at a time), recorded in the workspace; progress comes as batch.job events.',
  request: z
    .object({
      model: batchJobModelSchema,
      inputs: z.array(absolutePathSchema).min(1).max(MAX_BATCH_INPUTS),
      out: absolutePathSchema,
      /** Empty: the task's defaults. JSONL is always added: the results table reads it. */
      formats: z.array(z.enum(BATCH_FORMATS)).default([]),
      threshold: z.number().finite().optional(),
      /** Verification: match each frame against the model's enrolled gallery (as `loupe predict --gallery`). */
      gallery: batchGallerySchema.optional(),
      /** Classification: a heatmap PNG per frame with this method (as `loupe predict --explain`). */
      explain: z.enum(EXPLAIN_METHODS).optional(),
    })
    .strict(),
  reply: batchJobSchema,
});

export const batchJobs = defineChannel({
  name: 'batch.jobs',
  summary:
    'The batch jobs of the open workspace, newest first (an unfinished one from an earlier session: interrupted).',
  request: z.object({}).strict(),
  reply: z.object({ jobs: z.array(batchJobSchema) }),
});

export const batchCancel = defineChannel({
  name: 'batch.cancel',
  summary: 'Stop a running batch job after the group of files it is predicting; Resume finishes it later.',
  request: jobRef,
  reply: z.object({ cancelling: z.boolean() }),
});

export const batchResume = defineChannel({
  name: 'batch.resume',
  summary: 'Finish a cancelled, failed or interrupted batch job in the background; files already done are skipped.',
  request: jobRef,
  reply: batchJobSchema,
});

export const BATCH_RESULT_SORTS = ['path', 'class', 'score', 'entropy', 'margin'] as const;
export type BatchResultSort = (typeof BATCH_RESULT_SORTS)[number];
/** Most rows per results page. */
export const MAX_BATCH_PAGE = 500;
/** Bars of the score histogram (scores lie in [0, 1]). */
export const SCORE_HISTOGRAM_BINS = 20;

/** A gallery-matching row whose nearest reference is below the decision threshold: no enrolled reference is the same part. */
export const GALLERY_NO_MATCH = '(no match)';

export const batchResultRowSchema = z.object({
  path: z.string(),
  relative: z.string(),
  frame: z.number().int().min(0),
  /** The workspace image with the same content, if any (for the viewer and Review). */
  imageId: z.number().int().nullable(),
  status: z.enum(['done', 'failed']),
  reason: z.string().nullable(),
  /**
   * Classification: the predicted class; detection: the best box's class; segmentation: the
   * largest foreground class; verification with a gallery: the nearest reference's label where it
   * is decided the same, else GALLERY_NO_MATCH.
   */
  predicted: z.string().nullable(),
  /** The top probability, box score or match score; null where the task has none. */
  score: z.number().nullable(),
  /** Classification: entropy in nats of the probabilities. */
  entropy: z.number().nullable(),
  /** Classification: the top-two margin of the probabilities; gallery matching: of the two nearest references' scores. */
  margin: z.number().nullable(),
  /** Detection: boxes kept. */
  boxes: z.number().int().nullable(),
});
export type BatchResultRow = z.infer<typeof batchResultRowSchema>;

export const batchResults = defineChannel({
  name: 'batch.results',
  summary:
    "A page of a batch job's results, sorted and filtered in the services, with score histogram and class counts.",
  request: z
    .object({
      jobId: batchJobIdSchema,
      sort: z.enum(BATCH_RESULT_SORTS).default('path'),
      descending: z.boolean().default(false),
      /** Only rows predicted as this class ('' for all). */
      predicted: z.string().default(''),
      minScore: z.number().min(0).max(1).default(0),
      maxScore: z.number().min(0).max(1).default(1),
      /** Only rows at least this uncertain (entropy in nats). */
      minEntropy: z.number().min(0).default(0),
      /** Also list files that could not be predicted. */
      failed: z.boolean().default(true),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(MAX_BATCH_PAGE).default(100),
    })
    .strict(),
  reply: z.object({
    jobId: z.string(),
    /** Rows in the results file so far (one per frame, failed files once). */
    all: z.number().int().min(0),
    /** Rows that pass the filter. */
    matching: z.number().int().min(0),
    rows: z.array(batchResultRowSchema),
    /** Filtered rows per score bin, bin i covering [i/bins, (i+1)/bins). */
    histogram: z.array(z.number().int().min(0)),
    /** Rows per predicted class, over all rows. */
    classCounts: z.array(z.object({ name: z.string(), count: z.number().int().min(0) })),
    /** Workspace image ids of the filtered rows (all pages), for Review. */
    imageIds: z.array(z.number().int()),
    /**
     * Files of the filtered rows (all pages) the workspace does not hold, at most MAX_REVIEW_QUEUE:
     * what Review would import first.
     */
    outside: z.array(z.string()),
  }),
});

export const batchJobEvent = defineEvent({
  name: 'batch.job',
  summary: 'A batch job started, advanced (a few times a second at most), ended or was cancelled.',
  payload: z.object({ workspace: z.string(), job: batchJobSchema }),
});
