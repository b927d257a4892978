/**
 * What a training run leaves behind: evaluation reports, the run record (run.json) and the
 * model card (model-card.json). Detection and Siamese runs extend the unions keyed by `task`.
 */
import { z } from 'zod';
import { SPLITS, TASK_KINDS } from '../tasks';
import { preprocessingSpecSchema } from './dataset';
import { modelConfigSchema } from './architectures';
import { detectionSettingsSchema, trainingConfigSchema } from './config';
import { detectionReportSchema, maybeRate, rate, rocCurveSchema, verificationReportSchema } from './reports';
import { verificationDecisionSchema } from './verification';

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
  /** Pruning runs: the measured fraction of exact zeros in the pruned kernels after this epoch. */
  sparsity: z.number().min(0).max(1).optional(),
});
export type EpochRecord = z.infer<typeof epochRecordSchema>;

export const RUN_STATUSES = ['running', 'completed', 'cancelled', 'failed'] as const;

export const environmentSchema = z.object({
  backend: z.string(),
  tfjs: z.string(),
  node: z.string(),
  /** Threads that computed gradients (config.threads as resolved), and why when not what was asked. */
  threads: z.number().int().min(1).optional(),
  threadsNote: z.string().optional(),
  /** What computed: the GPU adapter the webgpu backend chose, else the CPU model and its cores (absent in older runs). */
  device: z.string().optional(),
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
  /** Distillation runs: the teacher, evaluated on this run's test split (null without one). */
  teacher: z.object({ runId: z.string(), metrics: evaluationReportSchema.nullable() }).optional(),
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
  versions: z.object({
    loupeModelFormat: z.literal(1),
    tfjs: z.string(),
    backend: z.string(),
    node: z.string(),
    /** The device the backend trained on (cards written before it was recorded have none). */
    device: z.string().optional(),
    /** Training images per second in the last epoch on that backend and device. */
    trainImagesPerSecond: z.number().optional(),
  }),
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
