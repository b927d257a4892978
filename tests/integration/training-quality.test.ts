/**
 * Quality on generated scans, trained through the engine's train method (the code path the UI and
 * CLI use) on the engine's CPU backend: classification test accuracy ≥ 0.95 and U-Net Dice ≥ 0.85
 * on the lesion class. Sizes and epochs are as small as keeps the targets with a margin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainRequestSchema, type RunRecord, type TrainingProgress } from '../../contract/index';
import { engineHandlers } from '../../ml/methods/index';
import { classificationDataset, makeSyntheticScans, segmentationDataset } from '../fixtures/synthetic-scans';
import { startTrainingBackend } from '../helpers/training-backend';

/** The quality targets. */
const MIN_TEST_ACCURACY = 0.95;
const MIN_LESION_DICE = 0.85;

let root: string;
let backend: string;
beforeAll(async () => {
  backend = await startTrainingBackend();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-quality-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function train(payload: unknown): Promise<{ record: RunRecord; progress: TrainingProgress[] }> {
  const progress: TrainingProgress[] = [];
  const record = await engineHandlers.train(trainRequestSchema.parse(payload), { signal: new AbortController().signal, progress: (p) => progress.push(p) });
  return { record, progress };
}

describe('training quality on synthetic scans', () => {
  it(`classifies lesion vs normal with test accuracy ≥ ${MIN_TEST_ACCURACY}`, async () => {
    const scans = makeSyntheticScans({ count: 240, size: 32, seed: 11 });
    const before = tf.memory().numTensors;
    const { record } = await train({
      runDir: path.join(root, 'classify'),
      dataset: classificationDataset(scans),
      config: {
        task: 'classification',
        model: { architecture: 'small-cnn', filters: [8, 16, 32] },
        preprocessing: { rows: 32, columns: 32 },
        loss: { name: 'cross-entropy' },
        optimizer: { name: 'adamw' },
        learningRate: 3e-3,
        epochs: 8,
        batchSize: 16,
        seed: 3,
        augment: { flipHorizontal: 0.5, flipVertical: 0.5 },
      },
    });
    const report = record.evaluation!;
    expect(report.task).toBe('classification');
    console.log(`[quality] classification on ${backend} (${record.environment.backend}): test accuracy ${report.task === 'classification' ? report.accuracy.toFixed(3) : ''} over ${report.count} images`);
    if (report.task !== 'classification') throw new Error('unexpected report');
    expect(report.accuracy).toBeGreaterThanOrEqual(MIN_TEST_ACCURACY);
    expect(tf.memory().numTensors).toBe(before);
  });

  it(`segments lesions with a U-Net, lesion Dice ≥ ${MIN_LESION_DICE}`, async () => {
    const scans = makeSyntheticScans({ count: 160, size: 32, seed: 12, abnormalFraction: 0.8 });
    const { record } = await train({
      runDir: path.join(root, 'segment'),
      dataset: segmentationDataset(scans),
      config: {
        task: 'segmentation',
        model: { architecture: 'unet', depth: 2, baseFilters: 8 },
        preprocessing: { rows: 32, columns: 32 },
        loss: { name: 'bce-dice' },
        optimizer: { name: 'adam' },
        learningRate: 1e-2,
        schedule: { name: 'one-cycle' },
        epochs: 7,
        batchSize: 8,
        seed: 5,
        augment: { flipHorizontal: 0.5 },
        monitor: { metric: 'val_dice', mode: 'max' },
      },
    });
    const report = record.evaluation!;
    if (report.task !== 'segmentation') throw new Error('unexpected report');
    const lesion = report.perClass[1]!;
    console.log(`[quality] U-Net on ${backend} (${record.environment.backend}): lesion Dice ${lesion.dice?.toFixed(3)} (pooled ${lesion.pooledDice?.toFixed(3)}) over ${lesion.images} images with lesions`);
    expect(lesion.dice).toBeGreaterThanOrEqual(MIN_LESION_DICE);
  });
});
