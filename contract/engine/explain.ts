/**
 * Explanations of a saved model's predictions (the engine's `explain` method): a heatmap per
 * frame on the frame's own pixels, the class explained, and how far the heatmap can be trusted.
 * A detector gets one map per box it finds (`boxes`), a verification model one similarity map on
 * each image of each pair asked for (`pairs`); every map lies on its frame's own pixels.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { decodedFrameSchema } from '../training/dataset';
import { framePairSchema } from '../training/verification';
import { detectionOverrideSchema } from './training-methods';

export const EXPLAIN_METHODS = [
  'gradcam',
  'gradcam++',
  'layercam',
  'cam',
  'scorecam',
  'guided-backprop',
  'guided-gradcam',
] as const;
export type ExplainMethodName = (typeof EXPLAIN_METHODS)[number];

/** Frames per explain call: each costs a forward and backward pass, and more with `trust`. */
export const MAX_EXPLAIN_FRAMES = 32;
/**
 * The methods that weight a feature map by the gradient of any score: what segmentation (a
 * region's summed logits), detection (one box's logit) and verification (a pair's similarity) models
 * are explained with.
 */
export const GRADIENT_CAM_METHODS = ['gradcam', 'gradcam++', 'layercam'] as const;
export type GradientCamMethodName = (typeof GRADIENT_CAM_METHODS)[number];
/**
 * A detector's per-box maps unless a method is asked for: LayerCAM's weight per location keeps a
 * box's map on its own object (detection-quality.test.ts: 39 of 49 boxes peak inside their own
 * box, against 14 with Grad-CAM and 24 with Grad-CAM++).
 */
export const DEFAULT_BOX_EXPLAIN_METHOD = 'layercam' satisfies GradientCamMethodName;
/** Every other model's map unless a method is asked for. */
export const DEFAULT_EXPLAIN_METHOD = 'gradcam' satisfies ExplainMethodName;

/** The method used when a request names none, by the model's task. */
export function defaultExplainMethod(task: string): ExplainMethodName {
  return task === 'detection' ? DEFAULT_BOX_EXPLAIN_METHOD : DEFAULT_EXPLAIN_METHOD;
}

/** The methods the Review section's detection and verification views offer. */
export const BOX_PAIR_EXPLAIN_METHODS = GRADIENT_CAM_METHODS;
/** Boxes explained per frame unless `maxBoxes` says otherwise: each costs a forward and backward pass. */
export const DEFAULT_EXPLAINED_BOXES = 20;
/** Most boxes per frame an explain call may ask for. */
export const MAX_EXPLAINED_BOXES = 100;

export const explainRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    frames: z.array(decodedFrameSchema).min(1).max(MAX_EXPLAIN_FRAMES),
    /** Default by the model's task (`defaultExplainMethod`): LayerCAM for a detector, else Grad-CAM. */
    method: z.enum(EXPLAIN_METHODS).optional(),
    /** Class to explain (index into the card's classes); default each frame's predicted class. */
    classIndex: z.number().int().min(0).optional(),
    /** Layer whose feature map is weighted; default the backbone's last one. */
    targetLayer: z.string().min(1).optional(),
    /** Deletion/insertion AUC and the randomisation sanity check (classification and segmentation). */
    trust: z.boolean().default(true),
    /** Detection: post-processing to use instead of the card's (which boxes are explained). */
    detection: detectionOverrideSchema.optional(),
    /** Detection: at most this many boxes per frame are explained, best first. */
    maxBoxes: z.number().int().min(1).max(MAX_EXPLAINED_BOXES).default(DEFAULT_EXPLAINED_BOXES),
    /** Verification: the pairs of `frames` (by index) to explain; required for a verification model. */
    pairs: z.array(framePairSchema).min(1).max(MAX_EXPLAIN_FRAMES).optional(),
  })
  .strict()
  .superRefine((request, ctx) => {
    request.pairs?.forEach((pair, index) => {
      if (pair.a >= request.frames.length || pair.b >= request.frames.length)
        ctx.addIssue({
          code: 'custom',
          path: ['pairs', index],
          message: `Pair ${index + 1} names frame ${Math.max(pair.a, pair.b)}; there are ${request.frames.length} frames.`,
        });
    });
  });

/** A map on one frame's own pixels: row-major `rows × columns` in [0, 1], and where it is highest. */
const frameMapSchema = z.object({
  heatmap: z.instanceof(Float32Array),
  rows: z.number().int(),
  columns: z.number().int(),
  /** The map's maximum, `[x, y]` in frame pixels. */
  heatmapPeak: z.tuple([z.number().int(), z.number().int()]),
});

export const boxExplanationSchema = frameMapSchema.extend({
  /** [x1, y1, x2, y2] in frame pixels, as `predict` returns it. */
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  score: z.number(),
  classIndex: z.number().int(),
  /** Centre of the output cell whose heatmap logit was explained, `[x, y]` in frame pixels. */
  peak: z.tuple([z.number().int(), z.number().int()]),
});
export type BoxExplanationReply = z.infer<typeof boxExplanationSchema>;

export const pairExplanationSchema = z.object({
  a: z.number().int(),
  b: z.number().int(),
  /** Cosine similarity of the two embeddings. */
  similarity: z.number(),
  /** The map on frame `a` (what in A makes it like B) and on frame `b`. */
  mapA: frameMapSchema,
  mapB: frameMapSchema,
});
export type PairExplanationReply = z.infer<typeof pairExplanationSchema>;

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
  /** Classification and segmentation: one per frame; empty for detection and verification. */
  explanations: z.array(frameExplanationSchema),
  /** The layer whose feature map was weighted (detection and verification). */
  targetLayer: z.string().optional(),
  /** Detection: per frame, its boxes (best first) with their maps, and how many were left unexplained. */
  boxes: z.array(z.object({ boxes: z.array(boxExplanationSchema), boxesLeftOut: z.number().int().min(0) })).optional(),
  /** Verification: each pair asked for, with the model card's decision threshold. */
  pairs: z.array(pairExplanationSchema).optional(),
  threshold: z.number().optional(),
});
export type ExplainReply = z.infer<typeof explainReplySchema>;
