/**
 * A run configuration that works out of the box for a task's kind and images, on a CPU: input
 * size from the images (capped so an epoch takes seconds to minutes, not hours), intensity
 * scaling from their bit depth, an architecture sized to the input, and the optimiser, schedule
 * and augmentation that trained the project's synthetic scans to its quality targets.
 * Every value is editable before a run starts.
 */
import {
  trainingConfigSchema,
  type DatasetReport,
  type TaskKind,
  type TrainingConfig,
  type TrainingConfigInput,
} from '../../../contract/index';

/**
 * Largest default input side. A 128² U-Net of depth 4 trains at roughly one batch of 8 per
 * 1.5 s on one core of this project's 2-core test machine (bench:train); 256² takes four times
 * as long. Users with larger structures raise it.
 */
export const DEFAULT_MAX_INPUT_SIDE = 128;
/** Input sides are multiples of this: a depth-4 U-Net and a 5-stage CNN pool by 16. */
const INPUT_MULTIPLE = 16;
/** Aspect ratios this close count as one (the default stretches instead of padding). */
const SAME_ASPECT_TOLERANCE = 0.01;
/** Below this many training images a batch of 32 leaves too few steps per epoch to learn well. */
const LARGE_BATCH_MIN_TRAIN = 256;

/**
 * Left–right flips only. Flips move pixels exactly; turns, shifts and zooms resample (bilinear),
 * which smooths noise, so training images stop looking like the untouched validation and test
 * images, and batch normalisation's statistics follow the smoothed ones. On the project's
 * synthetic 32 × 32 CT scans that shift made 10-epoch runs collapse to one class (test accuracy
 * 0.49 on two seeds with ±10°, ±5 % shift, ±10 % zoom; 1.0 on both with flips only), and
 * brightness/contrast changes blur exactly the cue a calibrated modality (HU) carries. Both are
 * one setting away for larger datasets.
 */
const DEFAULT_AUGMENT = { flipHorizontal: 0.5 } as const;

export const DEFAULT_EPOCHS = 20;

/** One side at most `cap`, in multiples of INPUT_MULTIPLE, never below one multiple. */
function side(value: number, scale: number): number {
  return Math.max(INPUT_MULTIPLE, Math.floor((value * scale) / INPUT_MULTIPLE) * INPUT_MULTIPLE);
}

export function defaultInputSize(
  report: DatasetReport,
  maxSide = DEFAULT_MAX_INPUT_SIDE,
): { rows: number; columns: number; resize: 'stretch' | 'pad' } {
  const common = report.sizes[0] ?? { rows: maxSide, columns: maxSide };
  const scale = Math.min(1, maxSide / Math.max(common.rows, common.columns));
  const aspect = common.columns / common.rows;
  const oneAspect = report.sizes.every((s) => Math.abs(s.columns / s.rows - aspect) <= SAME_ASPECT_TOLERANCE * aspect);
  return {
    rows: side(common.rows, scale),
    columns: side(common.columns, scale),
    resize: oneAspect ? 'stretch' : 'pad',
  };
}

export function defaultConfig(kind: TaskKind, report: DatasetReport): TrainingConfig {
  const { rows, columns, resize } = defaultInputSize(report);
  const inputSide = Math.min(rows, columns);
  const preprocessing = {
    rows,
    columns,
    channels: report.channels,
    resize,
    // 8-bit images use their full range; deeper ones (CT, MR, 16-bit X-ray) the training split's
    // 0.5–99.5th percentiles. 8- and 16-bit files together (one camera saving both) are each scaled
    // by their own type's range: one percentile range would leave the 8-bit ones near black.
    intensity: report.bitsStored <= 8 || report.mixedBitDepths ? { mode: 'dtype' as const } : { mode: 'auto' as const },
  };
  let config: TrainingConfigInput;
  if (kind === 'detection') {
    config = {
      task: 'detection',
      // CenterNet at stride 4 on the small CNN: what reaches mAP@0.5 ≥ 0.8 on the project's generated shapes in 10 epochs.
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [16, 32, 32] },
        headChannels: 32,
      },
      preprocessing,
      loss: { name: 'centernet' },
      optimizer: { name: 'adam' },
      learningRate: 3e-3,
      schedule: { name: 'cosine', minLearningRate: 1.5e-4 },
      epochs: DEFAULT_EPOCHS,
      batchSize: 16,
      augment: DEFAULT_AUGMENT,
      monitor: { metric: 'val_map50', mode: 'max' },
      // Score threshold, NMS and box limits at their defaults, shown in the run form and saved in the card.
      detection: {},
    };
  } else if (kind === 'verification') {
    // From identities (a classification task's classes): batch-hard triplet loss on P × K batches,
    // K = 4 (Hermans et al. 2017); from a verification task's labelled pairs: contrastive loss.
    const source = report.verification?.source ?? 'pairs';
    config = {
      task: 'verification',
      // A Siamese small CNN; `flatten` pooling keeps where the holes and notches of a part are.
      model: {
        architecture: 'siamese',
        backbone: { architecture: 'small-cnn', filters: [16, 32, 32, 32] },
        embeddingDim: 64,
        pooling: 'flatten',
      },
      preprocessing,
      loss: source === 'identities' ? { name: 'batch-hard-triplet', margin: 0.2 } : { name: 'contrastive', margin: 1 },
      optimizer: { name: 'adam' },
      learningRate: 2e-3,
      schedule: { name: 'cosine', minLearningRate: 1e-4 },
      epochs: DEFAULT_EPOCHS,
      batchSize: 32,
      // No flips: a mirrored part is another part (chirality), so a flip could turn "same" into "different".
      augment: {},
      verification: { source, imagesPerIdentity: 4, targetFar: 0.01 },
      monitor: { metric: 'val_eer', mode: 'min' },
    };
  } else if (kind === 'segmentation') {
    const binary = report.classes.length === 2;
    config = {
      task: 'segmentation',
      model: { architecture: 'unet', depth: inputSide >= 128 ? 4 : inputSide >= 64 ? 3 : 2, baseFilters: 16 },
      preprocessing,
      loss: binary ? { name: 'bce-dice' } : { name: 'cross-entropy-dice' },
      optimizer: { name: 'adam' },
      // One-cycle's peak; it warms up from 1/25 of it and anneals far below.
      learningRate: 1e-2,
      schedule: { name: 'one-cycle' },
      epochs: DEFAULT_EPOCHS,
      batchSize: 8,
      augment: DEFAULT_AUGMENT,
      monitor: { metric: 'val_dice', mode: 'max' },
    };
  } else {
    config = {
      task: 'classification',
      model: { architecture: 'small-cnn', filters: inputSide > 64 ? [16, 32, 64, 128] : [16, 32, 64] },
      preprocessing,
      loss: { name: 'cross-entropy' },
      optimizer: { name: 'adamw' },
      learningRate: 3e-3,
      schedule: { name: 'cosine' },
      epochs: DEFAULT_EPOCHS,
      batchSize: report.counts.train >= LARGE_BATCH_MIN_TRAIN ? 32 : 16,
      augment: DEFAULT_AUGMENT,
      monitor: { metric: 'val_loss', mode: 'min' },
      earlyStopping: { patience: 8 },
    };
  }
  return trainingConfigSchema.parse({ ...config, threads: 'auto', seed: 0 });
}

/** Architectures a kind can train, the default first (detection and verification: a head on one of the backbones). */
export function architecturesFor(kind: TaskKind): string[] {
  switch (kind) {
    case 'segmentation':
      return ['unet'];
    case 'detection':
      return ['centernet'];
    case 'verification':
      return ['siamese'];
    default:
      return ['small-cnn', 'resnet18', 'mobilenet-v2'];
  }
}
