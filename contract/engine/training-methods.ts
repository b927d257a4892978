/**
 * The engine's train, evaluate and predict methods: their requests, progress events and replies.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { PREDICT_RUNTIMES, RUNTIME_CHOICES, SPLITS, TASK_KINDS } from '../tasks';
import { decodedFrameSchema, trainingDatasetSchema } from '../training/dataset';
import { detectionSettingsSchema, trainingConfigSchema } from '../training/config';
import { detectionSchema } from '../training/reports';
import { framePairResultSchema, pairResultSchema, framePairSchema } from '../training/verification';
import { packedPreparedFramesSchema } from './prepared-frames';

import { epochRecordSchema, evaluationReportSchema } from '../training/run-record';

export const TRAINING_PHASES = ['preparing', 'training', 'validating', 'evaluating', 'saving'] as const;

/** Progress of a train call: one event per batch and one per finished epoch. */
export const trainingProgressSchema = z.object({
  phase: z.enum(TRAINING_PHASES),
  /** 0-based epoch and batch; `batches` is the batch count of one training epoch. */
  epoch: z.number().int().min(0),
  epochs: z.number().int().min(1),
  batch: z.number().int().min(0),
  batches: z.number().int().min(0),
  /** Running means over the epoch so far. */
  loss: z.number().nullable(),
  metric: z.object({ name: z.string(), value: z.number() }).nullable(),
  learningRate: z.number().nullable(),
  /** Set on the event that closes an epoch. */
  epochRecord: epochRecordSchema.optional(),
  /** Time spent training this session, and the batches it covered, for an ETA. */
  elapsedMs: z.number().min(0),
  batchesDone: z.number().int().min(0),
  batchesTotal: z.number().int().min(0),
  etaMs: z.number().min(0).nullable(),
});
export type TrainingProgress = z.infer<typeof trainingProgressSchema>;

export const trainRequestSchema = z
  .object({
    /** The run's folder (created if missing): run.json, checkpoints, and the model folder. */
    runDir: absolutePathSchema,
    dataset: trainingDatasetSchema,
    /** Required for a new run; on resume it must equal the recorded one when given. */
    config: trainingConfigSchema.optional(),
    /** Continue from the folder's last checkpoint instead of starting over. */
    resume: z.boolean().default(false),
    /** The id a new run records (the workspace's run folder name); a fresh UUID when absent. */
    runId: z.string().min(1).max(100).optional(),
  })
  .strict();
export type TrainRequest = z.output<typeof trainRequestSchema>;

/** Settings a caller may try instead of the model card's, for one evaluate or predict call. */
export const detectionOverrideSchema = detectionSettingsSchema.partial();
export type DetectionSettingsOverride = z.output<typeof detectionOverrideSchema>;

export const evaluateRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    dataset: trainingDatasetSchema,
    split: z.enum(SPLITS).default('test'),
    /** Detection: post-processing to use instead of the card's (e.g. another score threshold). */
    detection: detectionOverrideSchema.optional(),
    /** Verification: a decision threshold to use instead of the card's. */
    threshold: z.number().min(-1).max(1).optional(),
  })
  .strict();

export const samplePredictionSchema = z.union([
  z.object({ probabilities: z.array(z.number()), predicted: z.number().int() }),
  z.object({
    mask: z.instanceof(Uint8Array),
    rows: z.number().int(),
    columns: z.number().int(),
    classPixels: z.array(z.number().int()),
    /** Predict only: mean per-pixel entropy (nats) at the model's input size, for "Label next". */
    meanEntropy: z.number().min(0).optional(),
    /**
     * Predict with `probabilities` only: each class's probability on the frame's own pixels, class
     * after class (`classes × rows × columns`), for the contours Review draws.
     */
    probabilityMaps: z.instanceof(Float32Array).optional(),
  }),
  /** Detection: boxes after the threshold and NMS, in pixels of the frame, best first. */
  z.object({ detections: z.array(detectionSchema) }),
  /** Verification: the image's unit-length embedding. */
  z.object({ embedding: z.instanceof(Float32Array) }),
]);
export type SamplePrediction = z.infer<typeof samplePredictionSchema>;

export const evaluateReplySchema = z.object({
  report: evaluationReportSchema,
  predictions: z.array(z.object({ id: z.string(), prediction: samplePredictionSchema })),
  /** Verification: every pair scored, with the decision at the threshold used. */
  pairs: z.array(pairResultSchema).optional(),
});
export type EvaluateReply = z.infer<typeof evaluateReplySchema>;

/** Most frames per predict call: the reply carries every mask. */
export const MAX_PREDICT_FRAMES = 256;

export const predictRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    frames: z.array(decodedFrameSchema).max(MAX_PREDICT_FRAMES).default([]),
    /**
     * Instead of `frames`: frames already prepared as the model card says (a batch run's decode
     * workers prepare them, so the engine is sent kilobytes a frame instead of the pixels):
     * `input` holds each frame's model input (rows × columns × channels, channels last) in turn.
     */
    prepared: z
      .object({
        input: z.instanceof(Float32Array),
        /** Each frame's size and placement, packed (packPreparedFrames); parsed into PreparedFrame objects. */
        frames: packedPreparedFramesSchema(1, MAX_PREDICT_FRAMES),
        /**
         * Give `input` back in the reply (moved where the host moves buffers), for the caller to
         * fill again: a batch run then allocates no new half-megabyte buffer for every call.
         */
        giveBack: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Detection: post-processing to use instead of the card's. */
    detection: detectionOverrideSchema.optional(),
    /** Verification: pairs of `frames` (by index) to score and decide. */
    pairs: z
      .array(framePairSchema)
      .max(MAX_PREDICT_FRAMES * MAX_PREDICT_FRAMES)
      .optional(),
    /** Verification: a decision threshold to use instead of the card's. */
    threshold: z.number().min(-1).max(1).optional(),
    /** Segmentation: also return each class's probability map on the frame (megabytes per frame). */
    probabilities: z.boolean().optional(),
    /** Classification and segmentation: also each frame's penultimate-layer embedding, from the same pass. */
    embeddings: z.boolean().default(false),
    /** 'auto': the fastest runtime that agrees with the engine; 'engine': the engine's own graph. */
    runtime: z.enum(RUNTIME_CHOICES).default('auto'),
  })
  .strict()
  .superRefine((request, ctx) => {
    if (request.frames.length > 0 === (request.prepared !== undefined))
      ctx.addIssue({ code: 'custom', path: ['frames'], message: 'Give either frames or prepared frames, not both.' });
    const count = request.prepared?.frames.length ?? request.frames.length;
    request.pairs?.forEach((pair, index) => {
      if (pair.a >= count || pair.b >= count) {
        ctx.addIssue({
          code: 'custom',
          path: ['pairs', index],
          message: `Pair ${index + 1} names frame ${Math.max(pair.a, pair.b)}; there are ${count} frames.`,
        });
      }
    });
  });

export const predictReplySchema = z.object({
  task: z.enum(TASK_KINDS),
  classes: z.array(z.string()),
  predictions: z.array(samplePredictionSchema),
  /** Verification: the requested pairs, scored and decided. */
  pairs: z.array(framePairResultSchema).optional(),
  /** Verification: the decision threshold used. */
  threshold: z.number().optional(),
  /**
   * With `embeddings`: per frame, the input of the model's last layer (a classifier's pooled
   * features; a U-Net's last feature map averaged over the image).
   */
  embeddings: z.array(z.instanceof(Float32Array)).optional(),
  /** What ran the model's forward pass. */
  runtime: z.enum(PREDICT_RUNTIMES).optional(),
  /** With `prepared.giveBack`: the prepared input, given back. */
  input: z.instanceof(Float32Array).optional(),
});
export type PredictReply = z.infer<typeof predictReplySchema>;

/** Loads a model for prediction before the first predict call on it (a batch run asks while its first files decode). */
export const loadPredictorRequestSchema = z
  .object({
    modelDir: absolutePathSchema,
    /** As in predict: the runtime the calls to come will ask for. */
    runtime: z.enum(RUNTIME_CHOICES).default('auto'),
  })
  .strict();

export const loadPredictorReplySchema = z.object({
  task: z.enum(TASK_KINDS),
  /** What will run the model's forward pass. */
  runtime: z.enum(PREDICT_RUNTIMES),
});
