/**
 * Siamese verification trained from labelled pairs (the workspace's same/different verdicts)
 * with contrastive loss, through the engine's train method on the CPU backend: the training
 * images carry no identity, only the pairs; validation and test parts are scored on every pair of
 * their views. EER ≤ 0.10 on parts never seen in training, as for identity training.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, TrainingConfigInput } from '../../contract/index';
import { labelledPairs, partSet, verificationDataset } from '../fixtures/verification-parts';
import { trainForQuality, TRAINING_TIMEOUT_MS } from '../helpers/engine-training';

/** The quality target. */
const MAX_EER = 0.1;

const base = verificationDataset({
  train: partSet({ identities: 80, viewsPerIdentity: 8, seed: 11 }),
  val: partSet({ identities: 20, viewsPerIdentity: 6, seed: 22 }),
  test: partSet({ identities: 30, viewsPerIdentity: 6, seed: 33 }),
});
const pairs = labelledPairs(
  base.samples.filter((s) => s.split === 'train'),
  { perIdentity: 3, seed: 5 },
);
const dataset = {
  ...base,
  pairs,
  samples: base.samples.map(({ identity, ...s }) => (s.split === 'train' ? s : { ...s, identity })),
};

const config: TrainingConfigInput = {
  task: 'verification',
  model: {
    architecture: 'siamese',
    backbone: { architecture: 'small-cnn', filters: [16, 32, 32, 32] },
    embeddingDim: 64,
    pooling: 'flatten',
  },
  preprocessing: { rows: 32, columns: 32, intensity: { mode: 'dtype' } },
  loss: { name: 'contrastive', margin: 1 },
  optimizer: { name: 'adam' },
  learningRate: 2e-3,
  schedule: { name: 'cosine', minLearningRate: 1e-4 },
  epochs: 8,
  batchSize: 32,
  seed: 3,
  verification: { source: 'pairs' },
  monitor: { metric: 'val_eer', mode: 'min' },
};

let root: string;
let record: RunRecord;
beforeAll(async () => {
  ({ root, record } = await trainForQuality(
    `verification (contrastive, ${pairs.length} labelled pairs)`,
    dataset,
    config,
  ));
}, TRAINING_TIMEOUT_MS);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Siamese verification from labelled pairs', () => {
  it(`separates unseen parts with EER ≤ ${MAX_EER}`, () => {
    const report = record.evaluation!;
    if (report.task !== 'verification') throw new Error('expected a verification report');
    console.log(
      `[quality] verification (contrastive from pairs): test EER ${report.eer?.toFixed(3)}, AUC ${report.auc?.toFixed(4)}, TAR@FAR1% ${report.tarAtFar?.toFixed(3)}; test FAR at the validation threshold ${report.decision.far?.toFixed(4)}`,
    );
    expect(record.dataset.splits.train).toHaveLength(640);
    expect(report.pairSource).toBe('identities');
    expect(report.eer).toBeLessThanOrEqual(MAX_EER);
  });
});
