/**
 * The evaluation file `loupe eval --out FILE` writes: the metrics of one split beside what the
 * model said about every image (class probabilities, mask files, boxes after NMS) and, for
 * verification, every pair with its score, distance and decision. Built from the engine's evaluate
 * reply (ml/train/evaluation-file.ts); plain JSON, so other tools can read it.
 */
import { z } from 'zod';
import { SPLITS, TASK_KINDS } from '../tasks';
import { boxSchema, rate } from './reports';
import { evaluationReportSchema } from './run-record';
import { pairResultSchema } from './verification';

export const EVALUATION_FILE_FORMAT = 'loupe-eval';

const imageId = z.string();
/** The image's file, where the evaluation knows it (`loupe eval` on a workspace: its id is the workspace image id). */
const imagePath = z.string().optional();

export const evaluationFileImageSchema = z.union([
  z
    .object({
      id: imageId,
      path: imagePath,
      probabilities: z.array(rate),
      predicted: z.number().int(),
      predictedClass: z.string(),
    })
    .strict(),
  /** Segmentation: the class mask written beside the file as a PNG (null when not written), and pixels per class. */
  z
    .object({ id: imageId, path: imagePath, maskPath: z.string().nullable(), classPixels: z.array(z.number().int()) })
    .strict(),
  /** Detection: the boxes a user sees (score ≥ the threshold, after NMS), in frame pixels, best first. */
  z
    .object({
      id: imageId,
      path: imagePath,
      boxes: z.array(
        z.object({ box: boxSchema, score: z.number(), classId: z.number().int(), className: z.string() }).strict(),
      ),
    })
    .strict(),
  /** Verification: the image took part in the pairs below. */
  z.object({ id: imageId, path: imagePath }).strict(),
]);
export type EvaluationFileImage = z.infer<typeof evaluationFileImageSchema>;

export const evaluationFileSchema = z.object({
  format: z.literal(EVALUATION_FILE_FORMAT),
  version: z.literal(1),
  createdAt: z.string(),
  task: z.enum(TASK_KINDS),
  split: z.enum(SPLITS),
  model: z.object({ dir: z.string(), runId: z.string() }),
  classes: z.array(z.string()),
  /** The report, with the settings it was measured with (detection: post-processing; verification: decision threshold). */
  metrics: evaluationReportSchema,
  images: z.array(evaluationFileImageSchema),
  /** Verification: every pair scored (score = cosine similarity, distance = √(2 − 2·score)) and decided. */
  pairs: z.array(pairResultSchema).optional(),
});
export type EvaluationFile = z.infer<typeof evaluationFileSchema>;
