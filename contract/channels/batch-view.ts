/**
 * Viewing a batch job's results in the Batch section: any file the job predicted, whether the
 * workspace holds it or not, opened in the viewer with the heatmap of its prediction. Only files
 * the job's output folder records as predicted can be named, so these channels read no other path.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { EXPLAIN_METHODS } from '../engine/explain';
import { frameSchema, imageInfoSchema } from './imaging';
import { batchJobIdSchema } from './batch-jobs';

const batchFileSchema = z
  .object({
    jobId: batchJobIdSchema,
    /** A file the job predicted, as its results list it. */
    path: absolutePathSchema,
    frame: z.number().int().min(0).default(0),
  })
  .strict();

export const batchFile = defineChannel({
  name: 'batch.file',
  summary: "A file a batch job predicted: what the viewer's metadata panel and frame slider need.",
  request: batchFileSchema.omit({ frame: true }),
  reply: z.object({ fileName: z.string(), info: imageInfoSchema }),
});

export const batchFrame = defineChannel({
  name: 'batch.frame',
  summary: "One frame's stored pixel values of a file a batch job predicted, for the viewer (id is 0).",
  request: batchFileSchema,
  reply: frameSchema,
});

export const batchExplain = defineChannel({
  name: 'batch.explain',
  summary:
    "The heatmap of a classification job's predicted class on one frame of a file it predicted, with the job's method (Grad-CAM when it wrote none).",
  request: batchFileSchema,
  reply: z.object({
    method: z.enum(EXPLAIN_METHODS),
    className: z.string(),
    probability: z.number(),
    /** Row-major `rows × columns` in [0, 1], on the frame's own pixels. */
    heatmap: z.instanceof(Float32Array),
    rows: z.number().int(),
    columns: z.number().int(),
  }),
});

export const batchPrediction = defineChannel({
  name: 'batch.prediction',
  summary:
    'What a detection, segmentation or gallery-matching job predicted on a frame of a file, for the viewer: its boxes (after the threshold and NMS), its mask, or its nearest references.',
  request: batchFileSchema,
  reply: z.object({
    /** The model's classes in output order (a mask's value indexes them), each with the colour it is drawn in. */
    classes: z.array(z.object({ name: z.string(), color: z.string() })),
    /** Detection: boxes best first, `[x1, y1, x2, y2]` in frame pixels; null for other tasks. */
    boxes: z
      .array(
        z.object({
          class: z.string(),
          score: z.number(),
          box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
        }),
      )
      .nullable(),
    /** Verification with a gallery: the nearest references, best first, with the decision at `threshold`; null otherwise. */
    matches: z
      .object({
        threshold: z.number(),
        nearest: z.array(z.object({ id: z.string(), label: z.string(), score: z.number(), same: z.boolean() })),
      })
      .nullable(),
    /** Segmentation: the mask the batch wrote (pixel = class index); null for other tasks, or without mask files. */
    mask: z.object({ rows: z.number().int(), columns: z.number().int(), data: z.instanceof(Uint8Array) }).nullable(),
  }),
});
