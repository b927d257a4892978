/**
 * Exporting a completed run's model for another runtime: the bundle folder (model, card with the
 * parity numbers, example runners), checked on the run's test split against Loupe's own
 * predictions. The engine method does the work on a dataset main gives it; `training.export`
 * is the channel the CLI and the UI call with a run id.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { runIdSchema } from './training';
import { trainingDatasetSchema } from './training-data';

/** The formats this version of Loupe writes. */
export const EXPORT_FORMATS = ['onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Test images the parity check runs on at most: enough to see a difference, bounded in time. */
export const MAX_PARITY_IMAGES = 256;

const exportOptions = {
  format: z.enum(EXPORT_FORMATS).default('onnx'),
  /** Bake the card's intensity scaling and standardisation into the graph (default), or leave them to the caller. */
  preprocessing: z.boolean().default(true),
  /** Replace an existing output folder. */
  force: z.boolean().default(false),
};

export const exportParitySchema = z.object({
  /** Where the images came from (the run's test split; train when it has none). */
  split: z.string(),
  images: z.number().int().min(0),
  runtime: z.string(),
  maxAbsDiff: z.number(),
  tolerance: z.number(),
  /** Images whose prediction (class, mask, boxes after NMS, embedding) is the same as Loupe's. */
  samePredictions: z.number().int().min(0),
  passed: z.boolean(),
});
export type ExportParity = z.infer<typeof exportParitySchema>;

export const exportReplySchema = z.object({
  outDir: z.string(),
  format: z.enum(EXPORT_FORMATS),
  files: z.array(z.string()),
  modelBytes: z.number().int(),
  parity: exportParitySchema,
});
export type ExportReply = z.infer<typeof exportReplySchema>;

/** The engine method's request: the model folder, where to write, and the images to check on. */
export const exportRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    outDir: absolutePathSchema,
    ...exportOptions,
    dataset: trainingDatasetSchema,
    /** The split the dataset's samples come from, for the card. */
    split: z.string(),
  })
  .strict();

export const trainingExport = defineChannel({
  name: 'training.export',
  summary: "Export a completed run's model (ONNX fp32) into a bundle folder, checked against Loupe's predictions on the test split.",
  request: z.object({ runId: runIdSchema, outDir: absolutePathSchema, ...exportOptions }).strict(),
  reply: exportReplySchema,
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});
