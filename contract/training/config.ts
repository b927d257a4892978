/**
 * A training run's configuration: model, loss, optimiser, schedule, augmentation, fine-tuning.
 * Plain data with defaults, so the UI, the CLI's run.json and the run record agree on one shape.
 * Detection (CenterNet) and verification (Siamese) join the unions as their own members.
 */
import { z } from 'zod';
import { absolutePathSchema } from '../common';
import { TASK_KINDS } from '../tasks';
import { modelConfigSchema } from './architectures';
import { preprocessingSpecSchema } from './dataset';
import { lossConfigSchema } from './losses';
import { distillConfigSchema, pruneConfigSchema } from './compression';

const positiveInt = z.number().int().min(1);
const probability = z.number().min(0).max(1);

export const optimizerConfigSchema = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('sgd'),
      momentum: z.number().min(0).max(1).default(0.9),
      nesterov: z.boolean().default(false),
      /** L2 penalty added to the gradient (torch.optim.SGD weight_decay). */
      weightDecay: z.number().nonnegative().default(0),
    })
    .strict(),
  z
    .object({
      name: z.literal('adam'),
      beta1: z.number().min(0).max(1).default(0.9),
      beta2: z.number().min(0).max(1).default(0.999),
      epsilon: z.number().positive().default(1e-8),
      /** L2 penalty added to the gradient (torch.optim.Adam weight_decay). */
      weightDecay: z.number().nonnegative().default(0),
    })
    .strict(),
  z
    .object({
      name: z.literal('adamw'),
      beta1: z.number().min(0).max(1).default(0.9),
      beta2: z.number().min(0).max(1).default(0.999),
      epsilon: z.number().positive().default(1e-8),
      /** Decoupled decay of Loshchilov & Hutter (torch.optim.AdamW; its default 0.01). */
      weightDecay: z.number().nonnegative().default(0.01),
    })
    .strict(),
]);
export type OptimizerConfig = z.output<typeof optimizerConfigSchema>;

/** Learning-rate schedules, with torch.optim.lr_scheduler's definitions. */
export const scheduleConfigSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('constant') }).strict(),
  z
    .object({
      name: z.literal('step'),
      stepEpochs: positiveInt.default(10),
      gamma: z.number().positive().max(1).default(0.1),
    })
    .strict(),
  /** Cosine annealing over the whole run to `minLearningRate` (CosineAnnealingLR, T_max = epochs). */
  z.object({ name: z.literal('cosine'), minLearningRate: z.number().nonnegative().default(0) }).strict(),
  /** SGDR (CosineAnnealingWarmRestarts), stepped every batch with fractional epochs. */
  z
    .object({
      name: z.literal('warm-restarts'),
      firstPeriodEpochs: positiveInt.default(10),
      periodMultiplier: positiveInt.default(1),
      minLearningRate: z.number().nonnegative().default(0),
    })
    .strict(),
  /** OneCycleLR (cosine, two phases), stepped every batch; the peak is the run's learning rate. */
  z
    .object({
      name: z.literal('one-cycle'),
      warmupFraction: z.number().gt(0).lt(1).default(0.3),
      divFactor: z.number().gt(1).default(25),
      finalDivFactor: z.number().gt(1).default(1e4),
    })
    .strict(),
  /** ReduceLROnPlateau on the monitored metric (relative threshold mode). */
  z
    .object({
      name: z.literal('reduce-on-plateau'),
      factor: z.number().gt(0).lt(1).default(0.1),
      patience: z.number().int().min(0).default(10),
      threshold: z.number().nonnegative().default(1e-4),
      cooldown: z.number().int().min(0).default(0),
      minLearningRate: z.number().nonnegative().default(0),
    })
    .strict(),
]);
export type ScheduleConfig = z.output<typeof scheduleConfigSchema>;

/** Random augmentation of training samples; every field off by default. Seeded per sample. */
export const augmentConfigSchema = z
  .object({
    flipHorizontal: probability.default(0),
    flipVertical: probability.default(0),
    /** Uniform rotation in [-r, r] degrees. */
    rotationDegrees: z.number().min(0).max(180).default(0),
    /** Uniform zoom factor in [1-s, 1+s]. */
    scale: z.number().min(0).max(0.9).default(0),
    /** Uniform shift in [-f, f] of the image size, per axis. */
    shift: z.number().min(0).max(0.5).default(0),
    /** Added offset in [-b, b] (input scaled to [0, 1]). */
    brightness: z.number().min(0).max(1).default(0),
    /** Contrast factor in [1-c, 1+c] around the image mean. */
    contrast: z.number().min(0).max(1).default(0),
    /** Gamma in [1/(1+g), 1+g], applied to values clipped at 0. */
    gamma: z.number().min(0).max(4).default(0),
    /** Standard deviation of added Gaussian noise. */
    noiseStd: z.number().min(0).max(1).default(0),
    /** Elastic deformation (Simard et al. 2003) of images and masks; skipped for samples with boxes. */
    elastic: z
      .object({
        probability: probability.default(0.5),
        alpha: z.number().positive().default(8),
        sigma: z.number().positive().default(3),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AugmentConfig = z.output<typeof augmentConfigSchema>;

/** What "best" means: a validation metric and whether lower or higher is better. */
export const monitorSchema = z.object({
  metric: z
    .string()
    .regex(/^val_[a-z0-9_]+$/, 'A monitored metric is a validation metric such as val_loss, val_dice or val_map50.'),
  mode: z.enum(['min', 'max']),
});
export type MonitorSpec = z.infer<typeof monitorSchema>;

export const earlyStoppingSchema = z
  .object({ patience: z.number().int().min(1).default(5), minDelta: z.number().nonnegative().default(0) })
  .strict();

/** A run's id (its folder name under runs/); defined here so a fine-tuning source can name a run. */
export const runIdSchema = z
  .string()
  .regex(/^run-\d{8}-\d{6}-[0-9a-f]{4}$/, 'A run id looks like run-20250101-093000-1a2b.');

/**
 * Where fine-tuning starts: an earlier Loupe model folder, or any TF.js layers model.json.
 * `run` names a completed run of the open workspace: the services check it (same kind, finished)
 * and record it as `loupe-model` with its folder and `runId`, so the UI and CLI never handle paths
 * and the engine only ever sees folders.
 */
export const fineTuneSourceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('loupe-model'),
      dir: absolutePathSchema,
      /** The workspace run the folder belongs to, when it came from one (recorded, not read). */
      runId: runIdSchema.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('tfjs-layers'), modelJson: absolutePathSchema }).strict(),
  z.object({ kind: z.literal('run'), runId: runIdSchema }).strict(),
]);
export type FineTuneSource = z.infer<typeof fineTuneSourceSchema>;

export const fineTuneSchema = z
  .object({
    from: fineTuneSourceSchema,
    /** `replace` cuts the source's classifier and adds one for this task's classes; `keep` keeps it. */
    head: z.enum(['replace', 'keep']).default('replace'),
    /** The first N layers (input layer not counted) do not train. */
    freezeLayers: z.number().int().min(0).default(0),
    /** Progressive unfreezing: from `epoch` (0-based) on, only the first `freezeLayers` are frozen. */
    unfreeze: z
      .array(z.object({ epoch: z.number().int().min(0), freezeLayers: z.number().int().min(0) }).strict())
      .default([]),
    /** Learning-rate factor for the source model's layers (the new head trains at the full rate). */
    backboneLearningRateFactor: z.number().min(0).max(1).default(1),
  })
  .strict();
export type FineTuneConfig = z.output<typeof fineTuneSchema>;

/**
 * The backbone learning-rate factor the Train form and `loupe train --fine-tune-from` start
 * with: pretrained layers move a tenth as fast as the new head, a common first choice for
 * discriminative fine-tuning. (The schema's own default, 1, keeps hand-written configs as they were.)
 */
export const SUGGESTED_BACKBONE_LR_FACTOR = 0.1;

/** Detection and verification models are continued whole (their heads are several layers); the others get a new head for this task's classes. */
export function fineTuneHeadFor(task: (typeof TASK_KINDS)[number]): FineTuneConfig['head'] {
  return task === 'detection' || task === 'verification' ? 'keep' : 'replace';
}

/**
 * What a detector's raw peaks go through before a user sees boxes; saved in the model card and
 * applied again at every evaluate and predict. Defaults follow CenterNet and torchvision.
 */
export const detectionSettingsSchema = z
  .object({
    /**
     * Boxes scoring below this are not shown, and precision/recall are measured at it. 0.3 is
     * CenterNet's visualisation threshold. (mAP ranks every box above DETECTION_AP_SCORE_FLOOR.)
     */
    scoreThreshold: probability.default(0.3),
    /** Hard NMS suppresses above this IoU; linear soft-NMS decays above it. */
    iouThreshold: probability.default(0.5),
    /** `nms` as torchvision.ops.batched_nms; soft-NMS (Bodla et al. 2017) lowers overlapping scores instead. */
    method: z.enum(['nms', 'soft-linear', 'soft-gaussian']).default('nms'),
    /** Gaussian soft-NMS σ (the paper's 0.5). */
    sigma: z.number().positive().max(10).default(0.5),
    /** Detections kept per image, best first (COCO's maxDets 100). */
    maxDetections: z.number().int().min(1).max(1000).default(100),
    /** NMS across classes too (one box per place whatever its class); default per class. */
    classAgnostic: z.boolean().default(false),
    /** Heatmap peaks decoded per image before the threshold and NMS (CenterNet's K = 100). */
    topK: z.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type DetectionSettings = z.output<typeof detectionSettingsSchema>;

/**
 * mAP ranks every detection scoring at least this (torchvision's detectors' box_score_thresh),
 * whatever the user's threshold: AP measures the ranking, the threshold only where one stops.
 */
export const DETECTION_AP_SCORE_FLOOR = 0.05;

/** How a verification run trains and where its decision threshold comes from. */
export const verificationSettingsSchema = z
  .object({
    /**
     * `identities`: P × K batches (batchSize / imagesPerIdentity identities, imagesPerIdentity
     * images each), every pair in a batch mined online; `pairs`: the dataset's labelled pairs,
     * batchSize / 2 pairs per batch.
     */
    source: z.enum(['identities', 'pairs']).default('identities'),
    /** K of a P × K batch (Hermans et al. use 4). */
    imagesPerIdentity: z.number().int().min(2).max(64).default(4),
    /** The decision threshold is the one with the highest TAR at FAR ≤ this, on the validation split. */
    targetFar: z.number().min(0).max(1).default(0.01),
  })
  .strict();
export type VerificationSettings = z.output<typeof verificationSettingsSchema>;

/** Most epochs a run may ask for; far beyond what a CPU run would finish. */
export const MAX_EPOCHS = 10_000;

/**
 * Training threads on the CPU path. On the oneDNN backend: the most cores its kernels use (1, 2,
 * or `auto`: every core). On wasm and cpu: 1, 2 (a second worker thread computes half of each
 * batch's gradients, ml/parallel), or `auto` (two where that pays: see ml/parallel/thread-plan.ts).
 * Part of the config because it changes the arithmetic (each half's batch statistics), so a
 * resumed run keeps the setting it started with.
 */
export const trainingThreadsSchema = z.union([z.literal(1), z.literal(2), z.literal('auto')]);
export type TrainingThreads = z.infer<typeof trainingThreadsSchema>;

export const trainingConfigSchema = z
  .object({
    task: z.enum(TASK_KINDS),
    model: modelConfigSchema,
    preprocessing: preprocessingSpecSchema,
    loss: lossConfigSchema,
    optimizer: optimizerConfigSchema.default({
      name: 'adamw',
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.01,
    }),
    learningRate: z.number().positive().max(10).default(1e-3),
    schedule: scheduleConfigSchema.default({ name: 'constant' }),
    epochs: z.number().int().min(1).max(MAX_EPOCHS).default(20),
    batchSize: z.number().int().min(1).max(1024).default(16),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    augment: augmentConfigSchema.default(augmentConfigSchema.parse({})),
    monitor: monitorSchema.default({ metric: 'val_loss', mode: 'min' }),
    earlyStopping: earlyStoppingSchema.optional(),
    fineTune: fineTuneSchema.optional(),
    /** Detection runs: post-processing (defaults when unset; the run record holds the values used). */
    detection: detectionSettingsSchema.optional(),
    /** Verification runs: batches and decision threshold (defaults when unset). */
    verification: verificationSettingsSchema.optional(),
    threads: trainingThreadsSchema.default('auto'),
    /** Magnitude pruning of conv/dense kernels to a target sparsity (usually with `fineTune`). */
    prune: pruneConfigSchema.optional(),
    /** Knowledge distillation from a completed classification run. */
    distill: distillConfigSchema.optional(),
  })
  .strict();
export type TrainingConfig = z.output<typeof trainingConfigSchema>;
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;
