/**
 * Exporting a completed run's model for another runtime: the bundle folder (model, card with the
 * parity numbers, example runners), checked on the run's test split against Loupe's own
 * predictions. The engine method does the work on a dataset main gives it; `training.export`
 * is the channel the CLI and the UI call with a run id.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { defineChannel } from '../define';
import { runIdSchema } from '../training/config';
import { trainingDatasetSchema } from '../training/dataset';

/** The formats this version of Loupe writes. */
export const EXPORT_FORMATS = ['onnx', 'onnx-int8', 'tfjs', 'tflite', 'tflite-int8'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Test images the parity check runs on at most: enough to see a difference, bounded in time. */
export const MAX_PARITY_IMAGES = 256;
/** Training images int8 calibration uses by default (ORT's examples calibrate on about 100). */
export const DEFAULT_CALIBRATION_IMAGES = 100;
export const CALIBRATION_METHODS = ['minmax', 'percentile'] as const;
/** The bounds on an int8 export: at most this fraction of the fp32 file, and this accuracy drop. */
export const INT8_MAX_SIZE_RATIO = 0.3;
export const INT8_MAX_ACCURACY_DROP = 0.01;

const exportOptions = {
  format: z.enum(EXPORT_FORMATS).default('onnx'),
  /** Bake the card's intensity scaling and standardisation into the graph (default), or leave them to the caller. */
  preprocessing: z.boolean().default(true),
  /** Replace an existing output folder. */
  force: z.boolean().default(false),
  /** onnx-int8, tflite-int8: training images the activation ranges are measured on. */
  calibration: z.number().int().min(1).max(10_000).default(DEFAULT_CALIBRATION_IMAGES),
  /** onnx-int8: MinMax, or ORT's percentile of |x| (99.999); tflite-int8: MinMax. */
  calibrationMethod: z.enum(CALIBRATION_METHODS).default('minmax'),
  /**
   * A verification model's enrolled gallery goes into the bundle (gallery.json): each reference's
   * label and embedding, its id replaced by a hash (ids are the paths references were enrolled from).
   */
  gallery: z.boolean().default(false),
};

export const exportParitySchema = z.object({
  /** Where the images came from (the run's test split; train when it has none). */
  split: z.string(),
  images: z.number().int().min(0),
  runtime: z.string(),
  maxAbsDiff: z.number(),
  /** fp32: the bound maxAbsDiff must meet; int8 is judged by accuracy and size instead (null). */
  tolerance: z.number().nullable(),
  /** Images whose prediction (class, mask, boxes after NMS, embedding) is the same as Loupe's. */
  samePredictions: z.number().int().min(0),
  passed: z.boolean(),
  int8: z
    .object({
      calibrationImages: z.number().int(),
      calibrationMethod: z.enum(CALIBRATION_METHODS),
      fp32Bytes: z.number().int(),
      sizeRatio: z.number(),
      /** Classification: accuracy on the parity images' labels, Loupe fp32 and ONNX int8. */
      accuracyFp32: z.number().nullable(),
      accuracyInt8: z.number().nullable(),
    })
    .optional(),
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
    /** The split the parity check runs on: the dataset's samples of it; int8 calibrates on its `train` samples. */
    split: z.enum(['test', 'train']),
  })
  .strict();

export const trainingExport = defineChannel({
  name: 'training.export',
  summary:
    "Export a completed run's model (ONNX fp32) into a bundle folder, checked against Loupe's predictions on the test split.",
  request: z.object({ runId: runIdSchema, outDir: absolutePathSchema, ...exportOptions }).strict(),
  reply: exportReplySchema,
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }),
});
