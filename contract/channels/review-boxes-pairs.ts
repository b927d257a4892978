/**
 * Verdicts on detection and verification runs in the Review section: agree / disagree / unsure on
 * a detector's boxes on one image, or on a verification model's same/different decision on one
 * pair. A "disagree" on boxes may carry the boxes the reviewer says are right (drawn with the Label
 * section's box tools), one on a pair the right answer; once confirmed, the correction becomes the
 * image's boxes or the pair's label in the run's task. Verdicts share the one append-only trail
 * (review_verdicts, kind 'detection' or 'verification'; migration 010 adds the correction column).
 *
 * As in review.ts, the services predict; a verdict records what the model really said.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { boxLabelSchema } from './labels';
import { MAX_REVIEW_COMMENT, REVIEW_VERDICTS } from './review';
import { runIdSchema } from './runs';

const imageIdSchema = z.number().int().positive();
/** Most boxes a reviewer's correction may hold: a bound on one trail row's size, far above a screenful of objects. */
export const MAX_CORRECT_BOXES = 500;

/** A detector's boxes on one image after its score threshold and NMS, in the image's pixels, as the engine gave them. */
export const boxPredictionSchema = z.object({
  kind: z.literal('detection'),
  boxes: z.array(
    z.object({
      /** The task class of the model class's name; null when the task has none. */
      classId: z.number().int().nullable(),
      className: z.string(),
      x1: z.number(),
      y1: z.number(),
      x2: z.number(),
      y2: z.number(),
      score: z.number(),
    }),
  ),
  scoreThreshold: z.number(),
});

/** A verification model's decision on one pair (image A is the verdict's image). */
export const pairPredictionSchema = z.object({
  kind: z.literal('verification'),
  imageB: z.number().int(),
  imageBSha256: z.string(),
  imageBPath: z.string(),
  score: z.number(),
  threshold: z.number(),
  same: z.boolean(),
});

export const boxPairCorrectionSchema = z.union([
  z.object({ boxes: z.array(boxLabelSchema) }),
  z.object({ same: z.boolean() }),
]);
export type BoxPairCorrection = z.infer<typeof boxPairCorrectionSchema>;

export const boxPairVerdictSchema = z.object({
  id: z.number().int().positive(),
  kind: z.enum(['detection', 'verification']),
  reviewer: z.string(),
  createdAt: z.string(),
  imageId: z.number().int(),
  imageSha256: z.string(),
  imagePath: z.string(),
  runId: z.string(),
  weightsSha256: z.string(),
  taskId: z.number().int().nullable(),
  prediction: z.discriminatedUnion('kind', [boxPredictionSchema, pairPredictionSchema]),
  method: z.string(),
  verdict: z.enum(REVIEW_VERDICTS),
  comment: z.string(),
  /** Disagree: the boxes the reviewer says are right, or the right same/different answer. */
  correction: boxPairCorrectionSchema.nullable(),
  /** Once confirmed: the label revision the boxes were saved as, or the pair's id in the task. */
  correctionRevision: z.number().int().nullable(),
});
export type BoxPairVerdict = z.infer<typeof boxPairVerdictSchema>;

const commonRequest = {
  runId: runIdSchema,
  verdict: z.enum(REVIEW_VERDICTS),
  comment: z.string().max(MAX_REVIEW_COMMENT).default(''),
  method: z.string().min(1).max(60).default('prediction'),
};

export const reviewBoxesRecordBoxes = defineChannel({
  name: 'reviewBoxes.recordBoxes',
  summary: "Record a verdict on a detection run's boxes on one image (a new audit row; the latest is current).",
  request: z
    .object({
      ...commonRequest,
      imageId: imageIdSchema,
      /** Disagree: the image's whole list of boxes as the reviewer says they should be. */
      correctBoxes: z.array(boxLabelSchema).max(MAX_CORRECT_BOXES).optional(),
    })
    .strict()
    .refine((r) => r.correctBoxes === undefined || r.verdict === 'disagree', 'Correct boxes go with “disagree” only.'),
  reply: boxPairVerdictSchema,
});

export const reviewBoxesRecordPair = defineChannel({
  name: 'reviewBoxes.recordPair',
  summary: "Record a verdict on a verification run's same/different decision on a pair (a new audit row).",
  request: z
    .object({
      ...commonRequest,
      imageA: imageIdSchema,
      imageB: imageIdSchema,
      /** Disagree: the right answer. */
      correctSame: z.boolean().optional(),
    })
    .strict()
    .refine((r) => r.imageA !== r.imageB, 'A pair needs two different images.')
    .refine(
      (r) => r.correctSame === undefined || r.verdict === 'disagree',
      'A correct answer goes with “disagree” only.',
    ),
  reply: boxPairVerdictSchema,
});

export const reviewBoxesApplyCorrection = defineChannel({
  name: 'reviewBoxes.applyCorrection',
  summary:
    "Write a disagree verdict's boxes (replacing the image's boxes) or pair answer into the run's task (after the reviewer confirms).",
  request: z.object({ verdictId: z.number().int().positive() }).strict(),
  reply: z.object({ taskId: z.number().int(), imageId: z.number().int(), revision: z.number().int() }),
});

export const reviewBoxesVerdicts = defineChannel({
  name: 'reviewBoxes.verdicts',
  summary: 'Verdicts on detection and verification runs, oldest first: every one, or those on one run.',
  request: z.object({ runId: runIdSchema.optional() }).strict(),
  reply: z.object({ verdicts: z.array(boxPairVerdictSchema) }),
});
