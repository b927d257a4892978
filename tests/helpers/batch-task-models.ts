/** Tiny segmentation, detection and verification models' settings for the batch and review tests of those tasks: about files, rows and views, not accuracy. */
import type { TrainingConfigInput } from '../../contract/index';
import { partSet, verificationDataset } from '../fixtures/verification-parts';
import { trainForQuality, type TrainedModel } from './engine-training';

/** The U-Net's input side (the synthetic scans are this size). */
export const SIDE = 16;

export const SEGMENT_CONFIG: TrainingConfigInput = {
  task: 'segmentation',
  model: { architecture: 'unet', depth: 2, baseFilters: 4 },
  preprocessing: { rows: SIDE, columns: SIDE },
  loss: { name: 'bce-dice' },
  optimizer: { name: 'adam' },
  learningRate: 0.01,
  schedule: { name: 'constant' },
  augment: {},
  monitor: { metric: 'val_dice', mode: 'max' },
  epochs: 1,
  batchSize: 8,
  seed: 2,
};

export const DETECT_CONFIG: TrainingConfigInput = {
  task: 'detection',
  model: { architecture: 'centernet', backbone: { architecture: 'small-cnn', filters: [4, 8, 8] }, headChannels: 8 },
  preprocessing: { rows: 32, columns: 32, intensity: { mode: 'dtype' } },
  loss: { name: 'centernet' },
  optimizer: { name: 'adam' },
  learningRate: 3e-3,
  schedule: { name: 'constant' },
  augment: {},
  monitor: { metric: 'val_map50', mode: 'max' },
  epochs: 1,
  batchSize: 8,
  seed: 1,
};

/** A verifier of 16×16 grey parts (tests/fixtures/verification-parts.ts) from identities. */
export const VERIFY_CONFIG: TrainingConfigInput = {
  task: 'verification',
  model: {
    architecture: 'siamese',
    backbone: { architecture: 'small-cnn', filters: [4, 8] },
    embeddingDim: 8,
    pooling: 'flatten',
  },
  preprocessing: { rows: 16, columns: 16, intensity: { mode: 'dtype' } },
  loss: { name: 'batch-hard-triplet', margin: 0.2 },
  optimizer: { name: 'adam' },
  learningRate: 2e-3,
  schedule: { name: 'constant' },
  epochs: 1,
  batchSize: 16,
  seed: 3,
  verification: { source: 'identities', imagesPerIdentity: 4, targetFar: 0.01 },
  monitor: { metric: 'val_eer', mode: 'min' },
};

/** The parts of the tiny verifier's test split (4 parts, 3 views each), for the gallery tests' references and queries. */
export const VERIFY_TEST_PARTS = partSet({ identities: 4, viewsPerIdentity: 3, seed: 33 });

/** The tiny verifier trained on parts of its own (8 train, 4 val) and VERIFY_TEST_PARTS. */
export function trainTinyVerifier(name: string): Promise<TrainedModel> {
  const dataset = verificationDataset({
    train: partSet({ identities: 8, viewsPerIdentity: 4, seed: 11 }),
    val: partSet({ identities: 4, viewsPerIdentity: 4, seed: 22 }),
    test: VERIFY_TEST_PARTS,
  });
  return trainForQuality(name, dataset, VERIFY_CONFIG);
}
