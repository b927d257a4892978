/**
 * The Review section's heatmap: the engine's `explain` (channels/explain.ts) on one workspace
 * image under a completed classification run, shaped for drawing over the image. The services
 * read the frame the model reads (the image's first frame), so the caller sends ids, not pixels.
 */
import { z } from 'zod';
import { defineChannel } from '../define';
import { EXPLAIN_METHODS } from '../engine/explain';
import { runIdSchema } from './runs';

/** How far a heatmap can be trusted: deletion/insertion AUC and the randomisation check. */
export const trustMeasuresSchema = z.object({
  /** Mean class probability while the hottest pixels are removed first (lower: the map found what matters). */
  deletionAuc: z.number(),
  /** Mean class probability while the hottest pixels are put back first (higher is better). */
  insertionAuc: z.number(),
  /** Spearman correlation with the map of the model with its top layers re-initialised (low: the map depends on training). */
  sanityCorrelation: z.number(),
  sanityPassed: z.boolean(),
});
export type TrustMeasures = z.infer<typeof trustMeasuresSchema>;

export const reviewExplain = defineChannel({
  name: 'review.explain',
  summary:
    "A heatmap of what a run's classifier looked at on one image (Grad-CAM, Grad-CAM++ or CAM), on the image's own pixels; optionally how far it can be trusted.",
  request: z
    .object({
      runId: runIdSchema,
      imageId: z.number().int().positive(),
      method: z.enum(EXPLAIN_METHODS).default('gradcam'),
      /** Model class to explain (its output order); default the predicted class. */
      classIndex: z.number().int().min(0).optional(),
      /** Deletion/insertion AUC and the randomisation check: several more passes, so off unless asked. */
      trust: z.boolean().default(false),
    })
    .strict(),
  reply: z.object({
    runId: z.string(),
    imageId: z.number().int(),
    method: z.enum(EXPLAIN_METHODS),
    classIndex: z.number().int(),
    className: z.string(),
    /** The model's own probability of that class on the image (before any calibration temperature). */
    probability: z.number().min(0).max(1),
    /** The frame the model read: 0, the first. */
    frame: z.number().int().min(0),
    /** Row-major `rows × columns` in [0, 1], on the frame's own pixels. */
    heatmap: z.instanceof(Float32Array),
    rows: z.number().int(),
    columns: z.number().int(),
    /** The heatmap's maximum, `[x, y]` in frame pixels. */
    peak: z.tuple([z.number().int(), z.number().int()]),
    targetLayer: z.string(),
    trust: trustMeasuresSchema.nullable(),
  }),
});
