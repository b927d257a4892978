import { describe, expect, it } from 'vitest';
import { trainingConfigSchema, type TrainingProgress } from '../../../contract/index';
import { applyConfigFile } from './run-config';
import { epochLine, formatDuration, progressText } from './training-progress';

const defaults = trainingConfigSchema.parse({
  task: 'classification',
  model: { architecture: 'small-cnn', filters: [16, 32, 64] },
  preprocessing: { rows: 64, columns: 64 },
  loss: { name: 'cross-entropy' },
  augment: { flipHorizontal: 0.5, rotationDegrees: 10 },
});

describe('loupe train --config', () => {
  it('merges preprocessing and augmentation field by field, and replaces kinds whole', () => {
    const config = applyConfigFile(
      defaults,
      { model: { architecture: 'resnet18' }, preprocessing: { rows: 96 }, augment: { rotationDegrees: 0 }, epochs: 3 },
      'c.json',
    );
    expect(config.model).toEqual({ architecture: 'resnet18' });
    expect(config.preprocessing).toMatchObject({ rows: 96, columns: 64 });
    expect(config.augment).toMatchObject({ flipHorizontal: 0.5, rotationDegrees: 0 });
    expect(config.epochs).toBe(3);
  });

  it('takes the configuration of an earlier run.json', () => {
    const earlier = { ...defaults, seed: 7, learningRate: 0.01 };
    expect(applyConfigFile(defaults, { format: 'loupe-run', config: earlier }, 'run.json')).toEqual(earlier);
  });

  it('names the file and the field when the result is not a valid configuration', () => {
    expect(() => applyConfigFile(defaults, { epochs: 0 }, 'c.json')).toThrow(/^c\.json: epochs: /);
    expect(() => applyConfigFile(defaults, [1], 'c.json')).toThrow(/must hold a JSON object/);
  });
});

describe('training progress text', () => {
  const progress: TrainingProgress = {
    phase: 'training',
    epoch: 2,
    epochs: 20,
    batch: 4,
    batches: 10,
    loss: 0.43216,
    metric: { name: 'accuracy', value: 0.9 },
    learningRate: 0.001,
    elapsedMs: 1000,
    batchesDone: 25,
    batchesTotal: 180,
    etaMs: 80_000,
  };

  it('shows epoch, batch, loss, metric and ETA', () => {
    expect(progressText(progress, 10)).toBe('epoch 3/20 [#####.....] batch 5/10 loss 0.4322 accuracy 0.9000 ETA 1m20s');
    expect(progressText({ ...progress, phase: 'validating' })).toBe('epoch 3/20 validating 4/10');
  });

  it('prints a finished epoch with its validation metrics', () => {
    const line = epochLine(
      {
        epoch: 2,
        learningRate: 0.001,
        trainLoss: 0.5,
        trainMetric: 0.8,
        validation: { val_loss: 0.4, val_accuracy: 0.85 },
        durationMs: 12_300,
        trainImagesPerSecond: 41.25,
        frozenLayers: 0,
      },
      20,
      'accuracy',
    );
    expect(line).toBe(
      'epoch 3/20  loss 0.5000  accuracy 0.8000  val_loss 0.4000  val_accuracy 0.8500  12s  41.3 images/s',
    );
  });

  it('formats durations', () => {
    expect([formatDuration(42_000), formatDuration(185_000), formatDuration(3_720_000)]).toEqual([
      '42s',
      '3m05s',
      '1h02m',
    ]);
  });
});
