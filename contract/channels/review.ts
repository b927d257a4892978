/**
 * Review: a completed run's predictions on a queue of workspace images, judged one by one by a
 * named reviewer. Verdicts go to an append-only audit trail (a changed verdict is a new row; the
 * current verdict is the latest); a "disagree" with the correct class becomes the task's label
 * once the reviewer confirms it. The trail is exported as CSV (one row per verdict) or as a
 * self-contained HTML report.
 *
 * Predictions are computed by the services with the engine's `predict`, never taken from the
 * caller, so a verdict records what the model really said.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { SPLITS } from '../tasks';
import { runIdSchema } from './runs';

const imageIdSchema = z.number().int().positive();

export const REVIEW_VERDICTS = ['agree', 'disagree', 'unsure'] as const;
export type ReviewVerdictKind = (typeof REVIEW_VERDICTS)[number];

/** How a queue is ordered: most uncertain first (entropy high, margin low), by score, or disagreements with the label first. */
export const REVIEW_ORDERS = ['entropy', 'margin', 'score', 'disagreement'] as const;
export type ReviewOrder = (typeof REVIEW_ORDERS)[number];

/** Most images in one queue: each is predicted before the queue is shown. */
export const MAX_REVIEW_QUEUE = 2000;
/** Longest reviewer name and comment. */
export const MAX_REVIEWER_NAME = 100;
export const MAX_REVIEW_COMMENT = 4000;

/** Which images a queue holds. */
export const reviewSourceSchema = z.discriminatedUnion('kind', [
  /** One split of the run's task. */
  z.object({ kind: z.literal('split'), split: z.enum(SPLITS) }).strict(),
  /** Images with no label in the run's task. */
  z.object({ kind: z.literal('unlabeled') }).strict(),
  /** Images labelled with one class of the run's task. */
  z.object({ kind: z.literal('class'), classId: z.number().int().positive() }).strict(),
  /** Images whose file lies under a folder. */
  z.object({ kind: z.literal('folder'), folder: absolutePathSchema }).strict(),
  /** Images named by id (a batch run's results, a selection). */
  z.object({ kind: z.literal('images'), imageIds: z.array(imageIdSchema).min(1).max(MAX_REVIEW_QUEUE) }).strict(),
]);
export type ReviewSource = z.infer<typeof reviewSourceSchema>;

/** A classification model's output on one image, with the task class each model class is. */
export const reviewPredictionSchema = z.object({
  /** The model's classes, in its output order (kept with each verdict: the trail says what the model said on its own). */
  classes: z.array(z.string()),
  /** Calibrated probabilities, one per model class (in the model's class order). */
  probabilities: z.array(z.number().min(0).max(1)),
  predicted: z.number().int().min(0),
  predictedClass: z.string(),
  /** The temperature the probabilities were scaled with (the model card's calibration), or null: the model's own. */
  temperature: z.number().positive().nullable(),
});
export type ReviewPrediction = z.infer<typeof reviewPredictionSchema>;

export const reviewVerdictSchema = z.object({
  id: z.number().int().positive(),
  reviewer: z.string(),
  createdAt: z.string(),
  imageId: z.number().int(),
  imageSha256: z.string(),
  imagePath: z.string(),
  runId: z.string(),
  weightsSha256: z.string(),
  taskId: z.number().int().nullable(),
  prediction: reviewPredictionSchema,
  /** What the reviewer was shown beside the prediction (`prediction` alone, or a heatmap method). */
  method: z.string(),
  verdict: z.enum(REVIEW_VERDICTS),
  /** Disagree: the class the reviewer says is right (a task class name). */
  correctClass: z.string().nullable(),
  comment: z.string(),
  /** The label revision a confirmed correction wrote, if any. */
  correctionRevision: z.number().int().nullable(),
});
export type ReviewVerdict = z.infer<typeof reviewVerdictSchema>;

export const reviewQueueItemSchema = z.object({
  imageId: z.number().int(),
  fileName: z.string(),
  prediction: reviewPredictionSchema,
  /** Shannon entropy of the probabilities, in nats. */
  entropy: z.number().min(0),
  /** Top probability minus the second. */
  margin: z.number().min(0).max(1),
  /** The top probability. */
  score: z.number().min(0).max(1),
  /** The task's classes on this image now (ids). */
  labelClassIds: z.array(z.number().int()),
  /** The image has a label and the prediction is not among it. */
  disagrees: z.boolean(),
  /** The latest verdict on this image for this run, if any. */
  verdict: reviewVerdictSchema.nullable(),
});
export type ReviewQueueItem = z.infer<typeof reviewQueueItemSchema>;

export const reviewQueue = defineChannel({
  name: 'review.queue',
  summary: "A completed classification run's predictions on a set of images, ordered for review.",
  request: z
    .object({
      runId: runIdSchema,
      source: reviewSourceSchema,
      order: z.enum(REVIEW_ORDERS).default('entropy'),
      limit: z.number().int().min(1).max(MAX_REVIEW_QUEUE).default(500),
    })
    .strict(),
  reply: z.object({
    runId: z.string(),
    taskId: z.number().int(),
    taskName: z.string(),
    /** The model's classes, in its output order, with the task class of the same name (null: the task has none). */
    classes: z.array(z.object({ name: z.string(), classId: z.number().int().nullable() })),
    weightsSha256: z.string(),
    items: z.array(reviewQueueItemSchema),
    /** Images the source held beyond `limit`, left out. */
    leftOut: z.number().int().min(0),
  }),
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});

export const reviewRecord = defineChannel({
  name: 'review.record',
  summary: 'Record a verdict on a run’s prediction for an image (a new audit row; the latest is current).',
  request: z
    .object({
      runId: runIdSchema,
      imageId: imageIdSchema,
      verdict: z.enum(REVIEW_VERDICTS),
      /** Disagree: the task class that is right. */
      correctClassId: z.number().int().positive().optional(),
      comment: z.string().max(MAX_REVIEW_COMMENT).default(''),
      method: z.string().min(1).max(60).default('prediction'),
    })
    .strict(),
  reply: reviewVerdictSchema,
});

export const reviewApplyCorrection = defineChannel({
  name: 'review.applyCorrection',
  summary:
    "Write a disagree verdict's correct class into the run's task as the image's label (after the reviewer confirms).",
  request: z.object({ verdictId: z.number().int().positive() }).strict(),
  reply: z.object({
    taskId: z.number().int(),
    imageId: z.number().int(),
    revision: z.number().int(),
    classIds: z.array(z.number().int()),
  }),
});

export const reviewVerdicts = defineChannel({
  name: 'review.verdicts',
  summary: 'The audit trail, oldest first: every verdict, or those on one run.',
  request: z.object({ runId: runIdSchema.optional() }).strict(),
  reply: z.object({ verdicts: z.array(reviewVerdictSchema) }),
});

export const reviewSettings = defineChannel({
  name: 'review.settings',
  summary: 'The reviewer name verdicts are recorded under (default: the operating-system user).',
  request: z
    .object({ reviewer: z.string().trim().min(1, 'A reviewer name is required.').max(MAX_REVIEWER_NAME).optional() })
    .strict(),
  reply: z.object({ reviewer: z.string(), isDefault: z.boolean() }),
});

export const REVIEW_REPORT_FORMATS = ['csv', 'html'] as const;

export const reviewExport = defineChannel({
  name: 'review.export',
  summary: 'Write the review as CSV (one row per verdict) or a self-contained HTML report into a folder.',
  request: z
    .object({
      out: absolutePathSchema,
      format: z.enum(REVIEW_REPORT_FORMATS).default('html'),
      runId: runIdSchema.optional(),
      /** Add patient and study identifiers from DICOM tags; left out unless asked. */
      includeIdentifiers: z.boolean().default(false),
    })
    .strict(),
  reply: z.object({ file: z.string(), verdicts: z.number().int().min(0) }),
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});

/** Bins of a reliability diagram unless asked otherwise (Guo et al., 2017 use 10). */
export const DEFAULT_RELIABILITY_BINS = 10;

export const reliabilitySchema = z.object({
  /** Expected calibration error: the bins' |accuracy − confidence| weighted by their share of images. */
  ece: z.number().min(0).max(1),
  bins: z.array(
    z.object({
      lower: z.number(),
      upper: z.number(),
      count: z.number().int().min(0),
      /** Mean top-class probability in the bin, and the share of its images predicted right. */
      confidence: z.number().min(0).max(1),
      accuracy: z.number().min(0).max(1),
    }),
  ),
});
export type Reliability = z.infer<typeof reliabilitySchema>;

export const reviewCalibration = defineChannel({
  name: 'review.calibration',
  summary:
    "A classification run's reliability diagram and ECE on its task's validation split; optionally fits temperature scaling there and stores it in the model card.",
  request: z
    .object({
      runId: runIdSchema,
      /** Fit the temperature on the validation split and store it in the model card (replacing an earlier fit). */
      fit: z.boolean().default(false),
      bins: z.number().int().min(2).max(50).default(DEFAULT_RELIABILITY_BINS),
    })
    .strict(),
  reply: z.object({
    runId: z.string(),
    /** Validation images with a single label of a model class. */
    images: z.number().int().min(0),
    /** The model's own probabilities. */
    uncalibrated: reliabilitySchema,
    /** With the model card's temperature (null when it has none). */
    calibrated: reliabilitySchema.nullable(),
    temperature: z.number().positive().nullable(),
  }),
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});
