/**
 * Review of a completed segmentation (U-Net) run: its masks on a queue of workspace images, each
 * shown with probability contours and a Seg-Grad-CAM heatmap, judged agree / disagree / unsure.
 * A "disagree" may carry the mask the reviewer painted (with the Label section's tools); once
 * confirmed it becomes the image's label in the run's task, saved as coming from review. Verdicts
 * share the classification review's append-only trail (review_verdicts, kind 'segmentation'),
 * with the correct mask beside the row (review_verdict_masks).
 *
 * As in review.ts, the services predict; a verdict records what the model really said.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { EXPLAIN_METHODS } from '../engine/explain';
import { maskLabelSchema } from './labels';
import { MAX_REVIEW_COMMENT, MAX_REVIEW_QUEUE, REVIEW_VERDICTS, reviewSourceSchema } from './review';
import { trustMeasuresSchema } from './review-explain';
import { runIdSchema } from './runs';

const imageIdSchema = z.number().int().positive();

/** Most uncertain first (mean pixel entropy high), least overlap with the label first (Dice low), or file order. */
export const MASK_REVIEW_ORDERS = ['entropy', 'dice', 'file'] as const;
export type MaskReviewOrder = (typeof MASK_REVIEW_ORDERS)[number];

/** Probability levels the contours are drawn at: the decision boundary and a confident core. */
export const CONTOUR_LEVELS = [0.5, 0.9] as const;

/** What a segmentation model said on one image, as the trail keeps it (the mask itself is re-derivable from the weights). */
export const maskPredictionSchema = z.object({
  kind: z.literal('segmentation'),
  /** The model's classes, background first. */
  classes: z.array(z.string()),
  /** Predicted pixels per model class. */
  classPixels: z.array(z.number().int().min(0)),
  /** Mean per-pixel entropy (nats) at the model's input size. */
  meanEntropy: z.number().min(0),
  /** SHA-256 of the predicted mask in the task's values (row-major bytes). */
  maskSha256: z.string(),
});
export type MaskPrediction = z.infer<typeof maskPredictionSchema>;

export const maskVerdictSchema = z.object({
  id: z.number().int().positive(),
  reviewer: z.string(),
  createdAt: z.string(),
  imageId: z.number().int(),
  imageSha256: z.string(),
  imagePath: z.string(),
  runId: z.string(),
  weightsSha256: z.string(),
  taskId: z.number().int().nullable(),
  prediction: maskPredictionSchema,
  method: z.string(),
  verdict: z.enum(REVIEW_VERDICTS),
  /** Mean Dice of the prediction against the image's label when the verdict was given; null: no label. */
  dice: z.number().min(0).max(1).nullable(),
  comment: z.string(),
  /** Disagree with a mask: the mask the reviewer says is right. */
  correctMask: z
    .object({
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      sha256: z.string(),
      /** Pixels whose value differs from the prediction. */
      changedPixels: z.number().int().min(0),
    })
    .nullable(),
  /** The label revision a confirmed correction wrote, if any. */
  correctionRevision: z.number().int().nullable(),
});
export type MaskVerdict = z.infer<typeof maskVerdictSchema>;

export const maskQueueItemSchema = z.object({
  imageId: z.number().int(),
  fileName: z.string(),
  meanEntropy: z.number().min(0),
  /** Mean Dice against the image's label in the run's task; null when it has no mask label. */
  dice: z.number().min(0).max(1).nullable(),
  /** Predicted pixels per model class. */
  classPixels: z.array(z.number().int().min(0)),
  verdict: maskVerdictSchema.nullable(),
});
export type MaskQueueItem = z.infer<typeof maskQueueItemSchema>;

const progress = z.object({ done: z.number().int().min(0), total: z.number().int().min(0) });

export const reviewMasksQueue = defineChannel({
  name: 'reviewMasks.queue',
  summary: "A completed segmentation run's masks on a set of images, ordered for review (most uncertain first).",
  request: z
    .object({
      runId: runIdSchema,
      source: reviewSourceSchema,
      order: z.enum(MASK_REVIEW_ORDERS).default('entropy'),
      limit: z.number().int().min(1).max(MAX_REVIEW_QUEUE).default(500),
    })
    .strict(),
  reply: z.object({
    runId: z.string(),
    taskId: z.number().int(),
    taskName: z.string(),
    /** The model's classes, background first, with the task class (id, mask value, colour) each is. */
    classes: z.array(
      z.object({
        name: z.string(),
        classId: z.number().int().nullable(),
        value: z.number().int().min(0),
        color: z.string().nullable(),
      }),
    ),
    weightsSha256: z.string(),
    items: z.array(maskQueueItemSchema),
    leftOut: z.number().int().min(0),
  }),
  progress,
});

export const reviewMasksImage = defineChannel({
  name: 'reviewMasks.image',
  summary:
    "A segmentation run's mask on one image, one class's probability contours and its Seg-Grad-CAM heatmap, on the image's own pixels.",
  request: z
    .object({
      runId: runIdSchema,
      imageId: imageIdSchema,
      /** Model class the contours and heatmap are for; default the largest predicted foreground class. */
      classIndex: z.number().int().min(1).optional(),
      /** Heatmap method (Seg-Grad-CAM with Grad-CAM, Grad-CAM++ or LayerCAM weights); none when left out. */
      method: z.enum(EXPLAIN_METHODS).optional(),
      /** With a method: the heatmap's deletion/insertion AUC and the randomisation check (many more passes). */
      trust: z.boolean().default(false),
    })
    .strict(),
  reply: z.object({
    runId: z.string(),
    imageId: z.number().int(),
    /** The predicted mask in the task's mask values, at the image's size. */
    mask: maskLabelSchema,
    classIndex: z.number().int(),
    className: z.string(),
    /** Iso-lines of the class's probability, flat `[x0, y0, x1, y1, …]` in source pixels (centres at +0.5). */
    contours: z.array(z.object({ level: z.number(), segments: z.instanceof(Float32Array) })),
    meanEntropy: z.number().min(0),
    dice: z.number().min(0).max(1).nullable(),
    /** Seg-Grad-CAM of the class, row-major `rows × columns` in [0, 1]; null when no method was asked for. */
    heatmap: z
      .object({
        method: z.enum(EXPLAIN_METHODS),
        values: z.instanceof(Float32Array),
        rows: z.number().int(),
        columns: z.number().int(),
        /** The model predicts the class nowhere here: the score summed over the whole image. */
        wholeImage: z.boolean(),
        /** The class's mean probability over its predicted region (what the trust curves follow). */
        probability: z.number().min(0).max(1),
        targetLayer: z.string(),
        /** Only when asked for (`trust`). */
        trust: trustMeasuresSchema.nullable(),
      })
      .nullable(),
  }),
});

export const reviewMasksRecord = defineChannel({
  name: 'reviewMasks.record',
  summary:
    "Append a verdict on a segmentation run's mask to the audit trail; a disagree may carry the correct mask (not yet a label).",
  request: z
    .object({
      runId: runIdSchema,
      imageId: imageIdSchema,
      verdict: z.enum(REVIEW_VERDICTS),
      method: z.string().max(40).default('prediction'),
      comment: z.string().max(MAX_REVIEW_COMMENT).default(''),
      correctMask: maskLabelSchema.optional(),
    })
    .strict(),
  reply: maskVerdictSchema,
});

export const reviewMasksApplyCorrection = defineChannel({
  name: 'reviewMasks.applyCorrection',
  summary:
    "Write a disagree verdict's correct mask into the run's task as the image's label (after the reviewer confirms).",
  request: z.object({ verdictId: z.number().int().positive() }).strict(),
  reply: z.object({ taskId: z.number().int(), imageId: z.number().int(), revision: z.number().int() }),
});

export const reviewMasksVerdicts = defineChannel({
  name: 'reviewMasks.verdicts',
  summary: 'Every verdict on segmentation runs (or on one), oldest first.',
  request: z.object({ runId: runIdSchema.optional() }).strict(),
  reply: z.object({ verdicts: z.array(maskVerdictSchema) }),
});
