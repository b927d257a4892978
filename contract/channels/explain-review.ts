/**
 * The Review section for detection and verification runs: what there is to look at in a split
 * (a detector's images, a verification task's pairs), and the engine's `explain` on one image
 * (a map per box) or one pair (a similarity map on each image), on the images' own pixels. The
 * services read the frame the model reads (the image's first frame), so callers send ids.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { BOX_PAIR_EXPLAIN_METHODS, DEFAULT_BOX_EXPLAIN_METHOD } from '../engine/explain';
import { SPLITS } from '../tasks';
import { runIdSchema } from './runs';

const imageIdSchema = z.number().int().positive();
const pointSchema = z.tuple([z.number().int(), z.number().int()]);

/** A map on one image's own pixels (its first frame): row-major `rows × columns` in [0, 1]. */
export const imageMapSchema = z.object({
  imageId: z.number().int(),
  heatmap: z.instanceof(Float32Array),
  rows: z.number().int(),
  columns: z.number().int(),
  /** The map's maximum, `[x, y]` in image pixels. */
  heatmapPeak: pointSchema,
});
export type ImageMap = z.infer<typeof imageMapSchema>;

export const explainReviewItems = defineChannel({
  name: 'explain.reviewItems',
  summary:
    "What a detection or verification run's Review shows for a split of its task: the images (detection) or the labelled pairs with both images in the split (verification), with the model's decision threshold.",
  request: z.object({ runId: runIdSchema, split: z.enum(SPLITS).default('test') }).strict(),
  reply: z.object({
    runId: z.string(),
    kind: z.enum(['detection', 'verification']),
    taskName: z.string(),
    classes: z.array(z.string()),
    /** Verification: the model card's decision threshold (same when similarity ≥ it). */
    threshold: z.number().nullable(),
    images: z.array(z.object({ imageId: z.number().int(), fileName: z.string() })),
    pairs: z.array(
      z.object({
        imageA: z.number().int(),
        imageB: z.number().int(),
        fileA: z.string(),
        fileB: z.string(),
        /** The label: the same part, person or identity. */
        same: z.boolean(),
      }),
    ),
  }),
});

export const explainBoxes = defineChannel({
  name: 'explain.boxes',
  summary:
    "A detection run's boxes on one image, each with its own heatmap (LayerCAM by default, or Grad-CAM or Grad-CAM++ of its heatmap logit at its peak), on the image's own pixels.",
  request: z
    .object({
      runId: runIdSchema,
      imageId: imageIdSchema,
      method: z.enum(BOX_PAIR_EXPLAIN_METHODS).default(DEFAULT_BOX_EXPLAIN_METHOD),
    })
    .strict(),
  reply: z.object({
    runId: z.string(),
    imageId: z.number().int(),
    method: z.enum(BOX_PAIR_EXPLAIN_METHODS),
    targetLayer: z.string(),
    boxes: z.array(
      imageMapSchema.extend({
        /** [x1, y1, x2, y2] in image pixels. */
        box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
        score: z.number(),
        classIndex: z.number().int(),
        className: z.string(),
        /** Centre of the output cell whose logit was explained, `[x, y]` in image pixels. */
        peak: pointSchema,
      }),
    ),
    /** Boxes found but not explained (beyond the most explained per image). */
    boxesLeftOut: z.number().int().min(0),
  }),
});

export const explainPair = defineChannel({
  name: 'explain.pair',
  summary:
    "A verification run's similarity for two images and a map on each (which regions make them alike: Grad-CAM of the cosine similarity), against the model's threshold.",
  request: z
    .object({
      runId: runIdSchema,
      imageA: imageIdSchema,
      imageB: imageIdSchema,
      method: z.enum(BOX_PAIR_EXPLAIN_METHODS).default('gradcam'),
    })
    .strict(),
  reply: z.object({
    runId: z.string(),
    method: z.enum(BOX_PAIR_EXPLAIN_METHODS),
    targetLayer: z.string(),
    similarity: z.number(),
    threshold: z.number().nullable(),
    /** similarity ≥ threshold; null when the card has no threshold. */
    same: z.boolean().nullable(),
    a: imageMapSchema,
    b: imageMapSchema,
  }),
});
