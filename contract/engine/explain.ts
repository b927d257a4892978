/**
 * Explanations of a saved model's predictions (the engine's `explain` method): a heatmap per
 * frame on the frame's own pixels, the class explained, and how far the heatmap can be trusted.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { decodedFrameSchema } from '../training/dataset';

export const EXPLAIN_METHODS = [
  'gradcam',
  'gradcam++',
  'cam',
  'scorecam',
  'guided-backprop',
  'guided-gradcam',
] as const;
export type ExplainMethodName = (typeof EXPLAIN_METHODS)[number];

/** Frames per explain call: each costs a forward and backward pass, and more with `trust`. */
export const MAX_EXPLAIN_FRAMES = 32;

export const explainRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    frames: z.array(decodedFrameSchema).min(1).max(MAX_EXPLAIN_FRAMES),
    method: z.enum(EXPLAIN_METHODS).default('gradcam'),
    /** Class to explain (index into the card's classes); default each frame's predicted class. */
    classIndex: z.number().int().min(0).optional(),
    /** Layer whose feature map is weighted; default the backbone's last one. */
    targetLayer: z.string().min(1).optional(),
    /** Deletion/insertion AUC and the randomisation sanity check. */
    trust: z.boolean().default(true),
  })
  .strict();

export const frameExplanationSchema = z.object({
  /** Row-major `rows × columns` in [0, 1], on the frame's own pixels. */
  heatmap: z.instanceof(Float32Array),
  rows: z.number().int(),
  columns: z.number().int(),
  classIndex: z.number().int(),
  probability: z.number(),
  /** The heatmap's maximum, `[x, y]` in frame pixels. */
  peak: z.tuple([z.number().int(), z.number().int()]),
  targetLayer: z.string(),
  trust: z
    .object({
      deletionAuc: z.number(),
      insertionAuc: z.number(),
      sanityCorrelation: z.number(),
      sanityPassed: z.boolean(),
    })
    .optional(),
  /**
   * Segmentation (Seg-Grad-CAM): the input pixels whose class logits were summed; `wholeImage`
   * when the model predicts the class nowhere on the image and every pixel counted instead.
   */
  region: z.object({ pixels: z.number().int(), wholeImage: z.boolean() }).optional(),
});
export type FrameExplanationReply = z.infer<typeof frameExplanationSchema>;

export const explainReplySchema = z.object({
  classes: z.array(z.string()),
  method: z.enum(EXPLAIN_METHODS),
  /** The model's feature-map layers, in graph order: the names `targetLayer` accepts. */
  layers: z.array(z.string()).optional(),
  explanations: z.array(frameExplanationSchema),
});
export type ExplainReply = z.infer<typeof explainReplySchema>;
