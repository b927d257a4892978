/**
 * The architectures Loupe trains and their arguments (the builders live in ml/models): classifiers,
 * the backbones a detection or Siamese head sits on, and the heads themselves.
 */
import { z } from 'zod';

const positiveInt = z.number().int().min(1);

/**
 * Architecture and its arguments. Unset arguments take the builder's documented defaults
 * (ml/models); input shape and class count come from the preprocessing spec and the dataset.
 */
const smallCnnConfigSchema = z
  .object({
    architecture: z.literal('small-cnn'),
    filters: z.array(positiveInt).min(1).max(8).optional(),
    kernelSize: z.number().int().min(1).max(11).optional(),
    batchNorm: z.boolean().optional(),
  })
  .strict();
const resnetConfigSchema = z
  .object({
    architecture: z.literal('resnet18'),
    baseFilters: positiveInt.optional(),
    blocksPerStage: z.array(positiveInt).min(1).max(6).optional(),
    stem: z.enum(['imagenet', 'small']).optional(),
  })
  .strict();
const mobilenetConfigSchema = z
  .object({
    architecture: z.literal('mobilenet-v2'),
    widthMultiplier: z.number().positive().max(4).optional(),
  })
  .strict();

/** The feature extractors a detection or Siamese head sits on (the classification builders without their head). */
export const backboneConfigSchema = z.discriminatedUnion('architecture', [
  smallCnnConfigSchema,
  resnetConfigSchema,
  mobilenetConfigSchema,
]);
export type BackboneConfig = z.infer<typeof backboneConfigSchema>;

/** Output strides a CenterNet head can work at (input pixels per heatmap cell). */
export const DETECTOR_STRIDES = [1, 2, 4, 8, 16, 32] as const;

/**
 * Architecture and its arguments. Unset arguments take the builder's documented defaults
 * (ml/models); input shape and class count come from the preprocessing spec and the dataset.
 */
export const modelConfigSchema = z.discriminatedUnion('architecture', [
  smallCnnConfigSchema,
  resnetConfigSchema,
  mobilenetConfigSchema,
  z
    .object({
      architecture: z.literal('unet'),
      depth: z.number().int().min(1).max(6).optional(),
      baseFilters: positiveInt.optional(),
      batchNorm: z.boolean().optional(),
    })
    .strict(),
  /** A TF.js layers model brought in by fine-tuning (recorded in runs and model cards; not buildable). */
  z.object({ architecture: z.literal('imported'), modelJson: z.string() }).strict(),
  /**
   * Detection: a CenterNet head (centre heatmap per class, box size, centre offset) on a backbone.
   * Deeper backbone maps are upsampled (with skip connections) to `outputStride`.
   */
  z
    .object({
      architecture: z.literal('centernet'),
      backbone: backboneConfigSchema,
      /** Channels of each head branch's hidden 3×3 convolution. Default 64 (CenterNet). */
      headChannels: positiveInt.max(1024).optional(),
      /** Input pixels per output cell. Default 4 (CenterNet). */
      outputStride: z.union(DETECTOR_STRIDES.map((s) => z.literal(s))).optional(),
    })
    .strict(),
  /** Verification: one backbone shared by both images of a pair, then an L2-normalised embedding. */
  z
    .object({
      architecture: z.literal('siamese'),
      backbone: backboneConfigSchema,
      /** Length of the embedding. Default 64. */
      embeddingDim: z.number().int().min(2).max(2048).optional(),
      /** Feature map to vector: `average` (any input size), `max`, or `flatten` (keeps where things are). Default `average`. */
      pooling: z.enum(['average', 'max', 'flatten']).optional(),
      /** Units of a hidden ReLU layer before the embedding; 0 for none. Default 0. */
      hiddenUnits: z.number().int().min(0).max(4096).optional(),
    })
    .strict(),
]);
export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type Architecture = ModelConfig['architecture'];
