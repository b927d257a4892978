/**
 * What the engine trains on: decoded frames (the imaging decoder's output), the preprocessing
 * that turns them into model input, and a dataset description the main side builds from a
 * workspace's labels and splits (tests build it inline).
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { SPLITS, TASK_KINDS, type TaskKind } from '../tasks';

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
    normalize: z
      .object({ mean: z.array(z.number()).min(1).max(3), std: z.array(z.number().positive()).min(1).max(3) })
      .optional(),
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

/** Most boxes one image may carry: far beyond any inspection image, and it bounds the targets. */
export const MAX_BOXES_PER_IMAGE = 1000;

/**
 * A labelled box: [x1, y1, x2, y2] in pixels of its frame (x right, y down; pixel i spans [i, i+1),
 * so a box around pixel (3, 4) alone is [3, 4, 4, 5]) and a class index into `classes`.
 */
export const sampleBoxSchema = z
  .object({
    box: z.tuple([z.number().finite(), z.number().finite(), z.number().finite(), z.number().finite()]),
    classId: z.number().int().min(0),
  })
  .strict()
  .refine((b) => b.box[2] > b.box[0] && b.box[3] > b.box[1], { message: 'A box needs x2 > x1 and y2 > y1.' });
export type SampleBox = z.infer<typeof sampleBoxSchema>;

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
    /** Detection: the objects in the image; [] for an image checked and found empty. */
    boxes: z.array(sampleBoxSchema).max(MAX_BOXES_PER_IMAGE).optional(),
    /**
     * Verification: what the image shows, in the user's words (a part's serial number, a patient
     * and lesion); two images with the same identity make a "same" pair, any others a "different" one.
     */
    identity: z.string().min(1).max(200).optional(),
  })
  .strict();
export type DatasetSample = z.output<typeof datasetSampleSchema>;

/** A verdict on two images of the dataset: the same object (part, lesion) or not. */
export const labelledPairSchema = z.object({ a: z.string().min(1), b: z.string().min(1), same: z.boolean() }).strict();
export type LabelledPairInput = z.infer<typeof labelledPairSchema>;

/** Fewest classes per task: a classifier or a mask needs two; a detector may look for one kind of object. */
const MIN_CLASSES: Record<TaskKind, number> = { classification: 2, segmentation: 2, detection: 1, verification: 0 };

/**
 * The dataset of one training run. For segmentation `classes[0]` is the background; a mask's
 * pixel value is its class index. Detection: `classes` are the object classes, every sample has
 * `boxes`. Verification has no classes: images carry an `identity`, and/or `pairs` label pairs of
 * images (both images of a pair in one split, so no test pair leaks into training).
 */
export const trainingDatasetSchema = z
  .object({
    task: z.enum(TASK_KINDS),
    classes: z.array(z.string().min(1)).max(255).default([]),
    samples: z.array(datasetSampleSchema).min(1),
    /** Verification: labelled pairs, by image id. */
    pairs: z.array(labelledPairSchema).optional(),
  })
  .strict()
  .superRefine((dataset, ctx) => {
    const minClasses = MIN_CLASSES[dataset.task];
    if (dataset.classes.length < minClasses)
      ctx.addIssue({
        code: 'custom',
        path: ['classes'],
        message: `A ${dataset.task} dataset needs at least ${minClasses} classes.`,
      });
    if (dataset.task === 'verification' && dataset.classes.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['classes'],
        message: 'Verification has no classes: give images an identity, or label pairs.',
      });
    }
    const splitOf = new Map<string, string>();
    dataset.samples.forEach((sample, index) => {
      if (splitOf.has(sample.id))
        ctx.addIssue({
          code: 'custom',
          path: ['samples', index, 'id'],
          message: `Image id "${sample.id}" appears twice.`,
        });
      splitOf.set(sample.id, sample.split);
      if (dataset.task === 'classification' && (sample.label === undefined || sample.label >= dataset.classes.length)) {
        ctx.addIssue({
          code: 'custom',
          path: ['samples', index, 'label'],
          message: `Image "${sample.id}" needs a class label below ${dataset.classes.length}.`,
        });
      }
      if (dataset.task === 'segmentation' && !sample.mask) {
        ctx.addIssue({
          code: 'custom',
          path: ['samples', index, 'mask'],
          message: `Image "${sample.id}" has no mask.`,
        });
      }
      if (dataset.task === 'detection') {
        if (!sample.boxes)
          ctx.addIssue({
            code: 'custom',
            path: ['samples', index, 'boxes'],
            message: `Image "${sample.id}" has no boxes (give [] for an image without objects).`,
          });
        sample.boxes?.forEach((b, k) => {
          if (b.classId >= dataset.classes.length) {
            ctx.addIssue({
              code: 'custom',
              path: ['samples', index, 'boxes', k, 'classId'],
              message: `Box ${k + 1} of image "${sample.id}" has class ${b.classId}; the task has ${dataset.classes.length} classes.`,
            });
          }
        });
      }
    });
    if (dataset.pairs && dataset.task !== 'verification')
      ctx.addIssue({
        code: 'custom',
        path: ['pairs'],
        message: `Pairs belong to verification datasets, not ${dataset.task}.`,
      });
    dataset.pairs?.forEach((pair, index) => {
      const [a, b] = [splitOf.get(pair.a), splitOf.get(pair.b)];
      const where = ['pairs', index];
      if (a === undefined || b === undefined)
        ctx.addIssue({
          code: 'custom',
          path: where,
          message: `Pair ${index + 1} names image "${a === undefined ? pair.a : pair.b}", which is not in the dataset.`,
        });
      else if (pair.a === pair.b)
        ctx.addIssue({
          code: 'custom',
          path: where,
          message: `Pair ${index + 1} pairs image "${pair.a}" with itself.`,
        });
      else if (a !== b)
        ctx.addIssue({
          code: 'custom',
          path: where,
          message: `Pair ${index + 1} joins images of the ${a} and ${b} splits; both images of a pair must be in one split.`,
        });
    });
  });
export type TrainingDataset = z.output<typeof trainingDatasetSchema>;
export type TrainingDatasetInput = z.input<typeof trainingDatasetSchema>;
