/**
 * What a training run leaves behind and reports: evaluation reports, the run record (run.json),
 * the model card (model-card.json), progress events, and the engine's train / evaluate / predict
 * requests. Detection and Siamese runs extend the unions keyed by `task`.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { SPLITS, TASK_KINDS } from '../tasks';
import { decodedFrameSchema, preprocessingSpecSchema, trainingDatasetSchema } from './training-data';
import { detectionSettingsSchema, modelConfigSchema, trainingConfigSchema } from './training';
import {
  detectionReportSchema,
  detectionSchema,
  maybeRate,
  rate,
  rocCurveSchema,
  verificationReportSchema,
} from './training-metrics';
import {
  framePairResultSchema,
  pairResultSchema,
  framePairSchema,
  verificationDecisionSchema,
} from './training-verification';

export const classificationReportSchema = z.object({
  task: z.literal('classification'),
  split: z.enum(SPLITS),
  count: z.number().int().min(0),
  accuracy: rate,
  /** Rows are true classes, columns predicted classes (scikit-learn's confusion_matrix). */
  confusionMatrix: z.array(z.array(z.number().int().min(0))),
  perClass: z.array(
    z.object({
      className: z.string(),
      precision: rate,
      recall: rate,
      f1: rate,
      support: z.number().int().min(0),
      /** One-vs-rest ROC AUC; null when the split holds only one side of this class. */
      rocAuc: maybeRate,
      roc: rocCurveSchema.nullable(),
    }),
  ),
  macro: z.object({ precision: rate, recall: rate, f1: rate, rocAuc: maybeRate }),
  weighted: z.object({ precision: rate, recall: rate, f1: rate }),
});
export type ClassificationReport = z.infer<typeof classificationReportSchema>;

export const segmentationReportSchema = z.object({
  task: z.literal('segmentation'),
  split: z.enum(SPLITS),
  count: z.number().int().min(0),
  perClass: z.array(
    z.object({
      className: z.string(),
      /** Mean over images whose ground truth has the class (MONAI DiceMetric, ignore_empty=True). */
      dice: maybeRate,
      iou: maybeRate,
      /** Images that counted towards `dice`/`iou`. */
      images: z.number().int().min(0),
      /** All pixels of the split pooled (scikit-learn f1_score / jaccard_score on flattened masks). */
      pooledDice: maybeRate,
      pooledIou: maybeRate,
    }),
  ),
  /** Mean of the foreground classes' `dice` / `iou` (background excluded, nulls skipped). */
  meanDice: maybeRate,
  meanIou: maybeRate,
  pixelAccuracy: rate,
});
export type SegmentationReport = z.infer<typeof segmentationReportSchema>;

export const evaluationReportSchema = z.discriminatedUnion('task', [
  classificationReportSchema,
  segmentationReportSchema,
  detectionReportSchema,
  verificationReportSchema,
]);
export type EvaluationReport = z.infer<typeof evaluationReportSchema>;

export const datasetSnapshotSchema = z.object({
  /** SHA-256 over every sample's id, split, label and mask bytes: changes when any label does. */
  labelHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** SHA-256 over the label hash and every image's pixels and rescale. */
  datasetHash: z.string().regex(/^[0-9a-f]{64}$/),
  splits: z.object({ train: z.array(z.string()), val: z.array(z.string()), test: z.array(z.string()) }),
  /** Per split, samples per class (classification), images containing the class (segmentation) or boxes per class (detection). */
  classCounts: z.object({
    train: z.array(z.number().int()),
    val: z.array(z.number().int()),
    test: z.array(z.number().int()),
  }),
});
export type DatasetSnapshot = z.infer<typeof datasetSnapshotSchema>;

export const epochRecordSchema = z.object({
  epoch: z.number().int().min(0),
  learningRate: z.number(),
  trainLoss: z.number(),
  /**
   * Training metric averaged over the epoch's batches, with augmentation on: accuracy, Dice,
   * centre recall (detection) or known-pair AUC (verification); null where no batch defined it.
   */
  trainMetric: z.number().nullable(),
  /** `val_loss`, `val_accuracy`, `val_dice`, … (null-free; absent when there is no validation split). */
  validation: z.record(z.string(), z.number()),
  durationMs: z.number().min(0),
  /** Training images per second in this epoch's training phase (validation not counted); absent in runs from before it was recorded. */
  trainImagesPerSecond: z.number().min(0).optional(),
  /** Layers frozen during this epoch (fine-tuning). */
  frozenLayers: z.number().int().min(0),
});
export type EpochRecord = z.infer<typeof epochRecordSchema>;

export const RUN_STATUSES = ['running', 'completed', 'cancelled', 'failed'] as const;

export const environmentSchema = z.object({
  backend: z.string(),
  /** Why training did not use the engine's default backend, when it did not. */
  backendNote: z.string().optional(),
  tfjs: z.string(),
  node: z.string(),
  /** Threads that computed gradients (config.threads as resolved), and why when not what was asked. */
  threads: z.number().int().min(1).optional(),
  threadsNote: z.string().optional(),
});

export const runRecordSchema = z.object({
  format: z.literal('loupe-run'),
  version: z.literal(1),
  runId: z.string(),
  status: z.enum(RUN_STATUSES),
  task: z.enum(TASK_KINDS),
  classes: z.array(z.string()),
  config: trainingConfigSchema,
  /** The preprocessing as resolved (an `auto` intensity becomes the range measured on train). */
  preprocessing: preprocessingSpecSchema,
  environment: environmentSchema,
  dataset: datasetSnapshotSchema,
  epochs: z.array(epochRecordSchema),
  best: z.object({ epoch: z.number().int(), metric: z.string(), value: z.number() }).nullable(),
  stoppedEarly: z.boolean(),
  /** Final evaluation of the best weights on the test split (null until the run completes). */
  evaluation: evaluationReportSchema.nullable(),
  /** The exported model folder (TF.js layers + model-card.json), once the run completes. */
  modelDir: z.string().nullable(),
  error: z.string().optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

export const modelCardSchema = z.object({
  format: z.literal('loupe-model'),
  version: z.literal(1),
  task: z.enum(TASK_KINDS),
  classes: z.array(z.string()),
  model: modelConfigSchema,
  input: z.object({ rows: z.number().int(), columns: z.number().int(), channels: z.number().int() }),
  /**
   * What the saved model outputs: logits that `softmax`/`sigmoid` turn into probabilities;
   * `centernet`: per cell the class heatmaps (already probabilities), box size and centre offset;
   * `l2-normalized`: a unit-length embedding.
   */
  output: z.object({ activation: z.enum(['softmax', 'sigmoid', 'centernet', 'l2-normalized']) }),
  preprocessing: preprocessingSpecSchema,
  /** The test-split evaluation of these weights (null if the run had no test split). */
  metrics: evaluationReportSchema.nullable(),
  dataset: z.object({
    labelHash: z.string(),
    datasetHash: z.string(),
    counts: z.object({ train: z.number(), val: z.number(), test: z.number() }),
  }),
  run: z.object({
    runId: z.string(),
    seed: z.number().int(),
    bestEpoch: z.number().int().nullable(),
    epochsTrained: z.number().int(),
  }),
  versions: z.object({ loupeModelFormat: z.literal(1), tfjs: z.string(), backend: z.string(), node: z.string() }),
  createdAt: z.string(),
  /** Detection: the post-processing applied at every evaluate and predict. */
  detection: detectionSettingsSchema.optional(),
  /** Verification: the decision threshold and where it was chosen. */
  verification: verificationDecisionSchema.optional(),
  /**
   * Classification: temperature scaling fitted on the validation split (Review section). Shown
   * probabilities are softmax(logits / temperature); the saved weights are unchanged.
   */
  calibration: z
    .object({
      temperature: z.number().positive(),
      split: z.literal('val'),
      images: z.number().int().min(1),
      /** Expected calibration error on that split before and after, with `bins` uniform bins. */
      eceBefore: z.number().min(0).max(1),
      eceAfter: z.number().min(0).max(1),
      bins: z.number().int().min(2),
      fittedAt: z.string(),
    })
    .optional(),
});
export type ModelCard = z.infer<typeof modelCardSchema>;

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
    frames: z.array(decodedFrameSchema).min(1).max(MAX_PREDICT_FRAMES),
    /** Detection: post-processing to use instead of the card's. */
    detection: detectionOverrideSchema.optional(),
    /** Verification: pairs of `frames` (by index) to score and decide. */
    pairs: z
      .array(framePairSchema)
      .max(MAX_PREDICT_FRAMES * MAX_PREDICT_FRAMES)
      .optional(),
    /** Verification: a decision threshold to use instead of the card's. */
    threshold: z.number().min(-1).max(1).optional(),
  })
  .strict()
  .superRefine((request, ctx) => {
    request.pairs?.forEach((pair, index) => {
      if (pair.a >= request.frames.length || pair.b >= request.frames.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['pairs', index],
          message: `Pair ${index + 1} names frame ${Math.max(pair.a, pair.b)}; there are ${request.frames.length} frames.`,
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
});
export type PredictReply = z.infer<typeof predictReplySchema>;
