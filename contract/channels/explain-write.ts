/**
 * Explanations written to a folder (`loupe explain`): a completed classification run's model
 * explains each image of a split or of some files, and every heatmap, its overlay on the image
 * and the numbers behind it (class, probability, peak, trust measures) land in an output folder.
 * A detection run writes a map per box (`boxes`), a verification run a map on each image of each
 * pair (`pairs`: the task's pairs in a split, or pairs of files).
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { SPLITS } from '../tasks';
import { EXPLAIN_METHODS } from '../engine/explain';

/** Most input paths per call (each may be a folder). */
export const MAX_EXPLAIN_INPUTS = 1000;
/** The file listing what was explained, in the output folder. */
export const EXPLAIN_FILE = 'explain.json';

export const explainImagesSourceSchema = z.discriminatedUnion('kind', [
  /** The images of one split of the run's task (as assigned now). */
  z.object({ kind: z.literal('split'), split: z.enum(SPLITS) }).strict(),
  /** Image files and folders (walked recursively); they need not be in the workspace. */
  z.object({ kind: z.literal('files'), paths: z.array(absolutePathSchema).min(1).max(MAX_EXPLAIN_INPUTS) }).strict(),
  /** Verification: pairs of image files, each compared with its partner. */
  z
    .object({
      kind: z.literal('pairs'),
      pairs: z
        .array(z.object({ a: absolutePathSchema, b: absolutePathSchema }).strict())
        .min(1)
        .max(MAX_EXPLAIN_INPUTS),
    })
    .strict(),
]);
export type ExplainImagesSource = z.infer<typeof explainImagesSourceSchema>;

export const explainWriteRequestSchema = z
  .object({
    runId: z.string().min(1),
    source: explainImagesSourceSchema,
    /** Default by the run's kind (`defaultExplainMethod`): LayerCAM for a detection run, else Grad-CAM. */
    method: z.enum(EXPLAIN_METHODS).optional(),
    /** A class of the model to explain on every image; default each image's predicted class. */
    className: z.string().min(1).optional(),
    /** The feature-map layer to explain at (a name from the reply's `layers`); default the backbone's last. */
    targetLayer: z.string().min(1).optional(),
    out: absolutePathSchema,
    /** Write into an output folder that is not empty (files of the same name are replaced). */
    force: z.boolean().default(false),
  })
  .strict();

export const explainWriteProgressSchema = z.object({
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  failed: z.number().int().min(0),
});
export type ExplainWriteProgress = z.infer<typeof explainWriteProgressSchema>;

export const explainedImageSchema = z.object({
  path: z.string(),
  /** The workspace image, or null for a file explained from outside the workspace. */
  imageId: z.number().int().nullable(),
  rows: z.number().int(),
  columns: z.number().int(),
  /** Relative to the output folder: the 8-bit grey heatmap and the colour overlay, both at the image's size. */
  heatmap: z.string(),
  overlay: z.string(),
  className: z.string(),
  classIndex: z.number().int(),
  /** The model's probability of the class explained. */
  probability: z.number(),
  /** The heatmap's maximum, `[x, y]` in image pixels. */
  peak: z.tuple([z.number().int(), z.number().int()]),
  deletionAuc: z.number(),
  insertionAuc: z.number(),
  /** Spearman correlation with the heatmap of the model with its top layers re-initialised (low is good). */
  sanityCorrelation: z.number(),
  sanityPassed: z.boolean(),
  /**
   * Segmentation: the pixels (at the model's input size) whose class logits were summed, and
   * `wholeImage` when the class was predicted nowhere so every pixel counted.
   */
  region: z.object({ pixels: z.number().int(), wholeImage: z.boolean() }).optional(),
});
export type ExplainedImage = z.infer<typeof explainedImageSchema>;

const peakSchema = z.tuple([z.number().int(), z.number().int()]);

/** A detection run's image: each box it found (best first) with its own heatmap and overlay. */
export const explainedBoxesImageSchema = z.object({
  path: z.string(),
  imageId: z.number().int().nullable(),
  rows: z.number().int(),
  columns: z.number().int(),
  boxes: z.array(
    z.object({
      /** [x1, y1, x2, y2] in image pixels. */
      box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
      score: z.number(),
      className: z.string(),
      classIndex: z.number().int(),
      /** Centre of the output cell whose heatmap logit was explained, `[x, y]` in image pixels. */
      peak: peakSchema,
      /** The heatmap's maximum, `[x, y]` in image pixels. */
      heatmapPeak: peakSchema,
      /** Relative to the output folder: the grey heatmap, and the overlay with the box drawn. */
      heatmap: z.string(),
      overlay: z.string(),
    }),
  ),
  /** Boxes found but not explained (beyond the most explained per image). */
  boxesLeftOut: z.number().int().min(0),
});
export type ExplainedBoxesImage = z.infer<typeof explainedBoxesImageSchema>;

const pairSideSchema = z.object({
  path: z.string(),
  imageId: z.number().int().nullable(),
  rows: z.number().int(),
  columns: z.number().int(),
  heatmap: z.string(),
  overlay: z.string(),
  heatmapPeak: peakSchema,
});

/** A verification run's pair: the similarity against the model's threshold, and a map on each image. */
export const explainedPairSchema = z.object({
  a: pairSideSchema,
  b: pairSideSchema,
  /** Cosine similarity of the embeddings. */
  similarity: z.number(),
  /** The model card's decision threshold, and the decision: similarity ≥ threshold. */
  threshold: z.number().nullable(),
  same: z.boolean().nullable(),
});
export type ExplainedPair = z.infer<typeof explainedPairSchema>;

export const explainWriteReplySchema = z.object({
  out: z.string(),
  runId: z.string(),
  method: z.enum(EXPLAIN_METHODS),
  classes: z.array(z.string()),
  /** The layer whose feature map was weighted, or null when no image was explained. */
  targetLayer: z.string().nullable(),
  /** The model's feature-map layers, in graph order (what `targetLayer` accepts); absent when no image was explained. */
  layers: z.array(z.string()).optional(),
  /** Classification and segmentation runs: one entry per image. */
  images: z.array(explainedImageSchema),
  /** Detection runs: one entry per image, with its boxes. */
  boxes: z.array(explainedBoxesImageSchema).optional(),
  /** Verification runs: one entry per pair. */
  pairs: z.array(explainedPairSchema).optional(),
  /** Files that could not be read, with why; the others were explained. */
  failed: z.array(z.object({ path: z.string(), reason: z.string() })),
  cancelled: z.boolean(),
});
export type ExplainWriteReply = z.infer<typeof explainWriteReplySchema>;

export const explainWrite = defineChannel({
  name: 'explain.write',
  summary:
    "Explain a completed run's predictions on a split or on files: heatmap and overlay PNGs at each image's size and explain.json (classification and segmentation: class, probability, peak, deletion/insertion AUC, sanity check; detection: a map per box; verification: a map on each image of each pair); cancellable.",
  request: explainWriteRequestSchema,
  reply: explainWriteReplySchema,
  progress: explainWriteProgressSchema,
});
