/**
 * What the engine trains on: decoded frames (the imaging decoder's output), the preprocessing
 * that turns them into model input, and a dataset description the main side builds from a
 * workspace's labels and splits (tests build it inline).
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { SPLITS, TASK_KINDS } from '../tasks';

/** Pixel buffers as the decoders produce them; they travel binary over both transports. */
export const pixelDataSchema = z.union([
  z.instanceof(Uint8Array),
  z.instanceof(Uint16Array),
  z.instanceof(Int16Array),
  z.instanceof(Float32Array),
]);
export type PixelData = z.infer<typeof pixelDataSchema>;

/** Largest side we accept for one frame: a 16k × 16k whole-slide tile is already 512 MB as float. */
export const MAX_FRAME_SIDE = 16_384;

/**
 * One decoded image frame, row-major, samples interleaved (RGBRGB…). Stored values; the modality
 * value is `stored × rescaleSlope + rescaleIntercept` (DICOM PS3.3 C.11.1.1.2; 1 and 0 for raster).
 */
export const decodedFrameSchema = z
  .object({
    data: pixelDataSchema,
    rows: z.number().int().min(1).max(MAX_FRAME_SIDE),
    columns: z.number().int().min(1).max(MAX_FRAME_SIDE),
    samplesPerPixel: z.union([z.literal(1), z.literal(3), z.literal(4)]),
    rescaleSlope: z.number().finite().default(1),
    rescaleIntercept: z.number().finite().default(0),
  })
  .refine((f) => f.data.length === f.rows * f.columns * f.samplesPerPixel, {
    message: 'The pixel buffer length must be rows × columns × samplesPerPixel.',
  });
export type DecodedFrame = z.output<typeof decodedFrameSchema>;

/** Window/level (DICOM's window center/width): values outside the window clip to its edges. */
export const windowLevelSchema = z.object({ center: z.number().finite(), width: z.number().positive() });

/**
 * How modality values become numbers in [0, 1] before the model:
 * - `window`: the window/level given (clinical windows such as lung or bone);
 * - `range`: a fixed [min, max] (what `auto` becomes once resolved on the training split);
 * - `auto`: the training split's 0.5th–99.5th percentiles, resolved at training start and saved;
 * - `per-image`: each image's own min–max (loses absolute brightness; for uncalibrated photos);
 * - `dtype`: the full range of the stored type (0–255, 0–65535, -32768–32767; floats as they are).
 */
export const intensitySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('window'), window: windowLevelSchema }).strict(),
  z.object({ mode: z.literal('range'), min: z.number().finite(), max: z.number().finite() }).strict(),
  z.object({ mode: z.literal('auto') }).strict(),
  z.object({ mode: z.literal('per-image') }).strict(),
  z.object({ mode: z.literal('dtype') }).strict(),
]);
export type IntensitySpec = z.infer<typeof intensitySchema>;

/** Largest model input side we accept: U-Nets at 1024² already need GBs to train on a CPU. */
export const MAX_INPUT_SIDE = 1024;

/**
 * Preprocessing saved with every model and reused at inference, so a prediction sees its input
 * exactly as training did.
 */
export const preprocessingSpecSchema = z
  .object({
    /** Model input size; frames of another size are resized by `resize`. */
    rows: z.number().int().min(8).max(MAX_INPUT_SIDE),
    columns: z.number().int().min(8).max(MAX_INPUT_SIDE),
    /** Model input channels: 1 (grey; colour frames become luminance) or 3 (grey is repeated). */
    channels: z.union([z.literal(1), z.literal(3)]).default(1),
    /** Apply the frame's rescale slope/intercept before scaling (true for CT Hounsfield units). */
    applyRescale: z.boolean().default(true),
    intensity: intensitySchema.default({ mode: 'auto' }),
    /** `stretch` resizes to the input size; `pad` keeps the aspect ratio and pads with 0. */
    resize: z.enum(['stretch', 'pad']).default('stretch'),
    /** Optional per-channel standardisation after scaling to [0, 1] (for ImageNet-style weights). */
    normalize: z.object({ mean: z.array(z.number()).min(1).max(3), std: z.array(z.number().positive()).min(1).max(3) }).optional(),
  })
  .strict();
export type PreprocessingSpec = z.output<typeof preprocessingSpecSchema>;
export type PreprocessingSpecInput = z.input<typeof preprocessingSpecSchema>;



/** A class mask: one class index per pixel (0 = background), rows × columns. */
export const labelMaskSchema = z
  .object({ data: z.instanceof(Uint8Array), rows: z.number().int().min(1), columns: z.number().int().min(1) })
  .refine((m) => m.data.length === m.rows * m.columns, { message: 'The mask length must be rows × columns.' });

/** A sample's image: decoded inline, or a file the engine's frame reader decodes. */
export const sampleImageSchema = z.union([
  z.object({ frame: decodedFrameSchema }).strict(),
  z.object({ path: absolutePathSchema, frameIndex: z.number().int().min(0).default(0) }).strict(),
]);

export const datasetSampleSchema = z
  .object({
    /** The workspace's image id (what run records and predictions refer to). */
    id: z.string().min(1).max(200),
    split: z.enum(SPLITS),
    image: sampleImageSchema,
    /** Classification: index into `classes`. */
    label: z.number().int().min(0).optional(),
    /** Segmentation: per-pixel class indices into `classes` (index 0 is the background). */
    mask: labelMaskSchema.optional(),
  })
  .strict();
export type DatasetSample = z.output<typeof datasetSampleSchema>;

/**
 * The dataset of one training run. For segmentation `classes[0]` is the background; a mask's
 * pixel value is its class index.
 */
export const trainingDatasetSchema = z
  .object({
    task: z.enum(TASK_KINDS),
    classes: z.array(z.string().min(1)).min(2).max(255),
    samples: z.array(datasetSampleSchema).min(1),
  })
  .strict()
  .superRefine((dataset, ctx) => {
    const seen = new Set<string>();
    dataset.samples.forEach((sample, index) => {
      if (seen.has(sample.id)) ctx.addIssue({ code: 'custom', path: ['samples', index, 'id'], message: `Image id "${sample.id}" appears twice.` });
      seen.add(sample.id);
      if (dataset.task === 'classification' && (sample.label === undefined || sample.label >= dataset.classes.length)) {
        ctx.addIssue({ code: 'custom', path: ['samples', index, 'label'], message: `Image "${sample.id}" needs a class label below ${dataset.classes.length}.` });
      }
      if (dataset.task === 'segmentation' && !sample.mask) {
        ctx.addIssue({ code: 'custom', path: ['samples', index, 'mask'], message: `Image "${sample.id}" has no mask.` });
      }
    });
  });
export type TrainingDataset = z.output<typeof trainingDatasetSchema>;
export type TrainingDatasetInput = z.input<typeof trainingDatasetSchema>;
