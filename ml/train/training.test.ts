/**
 * The training loop's promises, on tiny generated data: same seed → same run; no tensor left
 * behind by an epoch or a prediction; cancel within one batch; resume reaching the same weights;
 * fine-tuning that freezes what it says; evaluate and predict on the saved model folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateRequestSchema,
  predictRequestSchema,
  type RunRecord,
  type TrainingConfigInput,
  type TrainingProgress,
} from '../../contract/index';
import { classificationDataset, makeSyntheticScans, segmentationDataset } from '../../tests/fixtures/synthetic-scans';
import { startTrainingBackend } from '../../tests/helpers/training-backend';
import { engineHandlers } from '../methods/index';
import { layersSaveHandler } from '../model-io/layers-files';
import { loadModelFolder } from '../model-io/model-folder';
import { runTraining } from './loop';
import { cancelInSecondEpoch, epochsWithoutDurations, trainer, weightsOf } from './train-test-support';

let root: string;
beforeAll(async () => {
  await startTrainingBackend();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-train-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const scans = makeSyntheticScans({ count: 48, size: 16, seed: 4 });
const dataset = classificationDataset(scans);
const config: TrainingConfigInput = {
  task: 'classification',
  model: { architecture: 'small-cnn', filters: [4, 8] },
  preprocessing: { rows: 16, columns: 16 },
  loss: { name: 'cross-entropy', labelSmoothing: 0.05 },
  optimizer: { name: 'adamw' },
  learningRate: 5e-3,
  schedule: { name: 'one-cycle' },
  epochs: 3,
  batchSize: 8,
  seed: 1,
  augment: { flipHorizontal: 0.5, rotationDegrees: 10, noiseStd: 0.02 },
};

let counter = 0;
function runDir(): string {
  return path.join(root, `run-${++counter}`);
}

const train = trainer(runTraining);

describe('training loop', () => {
  let reference: { dir: string; record: RunRecord };
  beforeAll(async () => {
    const dir = runDir();
    reference = { dir, record: await train({ runDir: dir, dataset, config }) };
  });

  it('records the run: config, seed, dataset snapshot, epochs, best epoch, test evaluation and a model folder with its card', async () => {
    const { record, dir } = reference;
    expect(record.status).toBe('completed');
    expect(record.config.seed).toBe(1);
    expect(record.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(Object.keys(record.epochs[0]!.validation)).toEqual(
      expect.arrayContaining(['val_accuracy', 'val_loss', 'val_macro_f1']),
    );
    expect(
      record.dataset.splits.train.length + record.dataset.splits.val.length + record.dataset.splits.test.length,
    ).toBe(48);
    expect(record.preprocessing.intensity.mode).toBe('range');
    expect(record.evaluation?.split).toBe('test');
    const { model, card } = await loadModelFolder(path.join(dir, 'model'));
    expect(card).toMatchObject({
      task: 'classification',
      classes: ['normal', 'lesion'],
      input: { rows: 16, columns: 16, channels: 1 },
      output: { activation: 'softmax' },
    });
    expect(card.dataset.datasetHash).toBe(record.dataset.datasetHash);
    expect(card.run.bestEpoch).toBe(record.best!.epoch);
    model.dispose();
  });

  it('gives the same metrics and weights for the same seed, and different ones for another seed', async () => {
    const dir = runDir();
    const again = await train({ runDir: dir, dataset, config });
    expect(epochsWithoutDurations(again)).toEqual(epochsWithoutDurations(reference.record));
    expect(again.evaluation).toEqual(reference.record.evaluation);
    expect(weightsOf(dir).equals(weightsOf(reference.dir))).toBe(true);
    const otherDir = runDir();
    await train({ runDir: otherDir, dataset, config: { ...config, seed: 2 } });
    expect(weightsOf(otherDir).equals(weightsOf(reference.dir))).toBe(false);
  });

  it('leaves tf.memory().numTensors unchanged after every epoch and after the run', async () => {
    const before = tf.memory().numTensors;
    const atEpochEnd: number[] = [];
    await train({ runDir: runDir(), dataset, config }, (p) => {
      if (p.epochRecord) atEpochEnd.push(tf.memory().numTensors);
    });
    expect(atEpochEnd).toHaveLength(3);
    expect(new Set(atEpochEnd).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops within one batch of a cancel, and a resumed run reaches the same final weights as an uninterrupted one', async () => {
    const dir = runDir();
    const interrupted = await cancelInSecondEpoch(train, { runDir: dir, dataset, config });
    const progress: TrainingProgress[] = [];
    const resumed = await train({ runDir: dir, dataset, resume: true }, (p) => progress.push(p));
    expect(progress.find((p) => p.phase === 'training')?.epoch).toBe(1);
    expect(resumed.status).toBe('completed');
    expect(resumed.runId).toBe(interrupted.runId);
    expect(epochsWithoutDurations(resumed)).toEqual(epochsWithoutDurations(reference.record));
    expect(weightsOf(dir).equals(weightsOf(reference.dir))).toBe(true);
  });

  it('stops early once the monitored metric has not improved by minDelta for `patience` epochs', async () => {
    // Without batch norm (whose statistics move regardless), a learning rate this small cannot move
    // val_loss by 0.1: epochs 2 and 3 do not improve on epoch 1.
    const model = { architecture: 'small-cnn', filters: [4, 8], batchNorm: false } as const;
    const record = await train({
      runDir: runDir(),
      dataset,
      config: {
        ...config,
        model,
        learningRate: 1e-9,
        schedule: { name: 'constant' },
        epochs: 6,
        earlyStopping: { patience: 2, minDelta: 0.1 },
      },
    });
    expect(record.stoppedEarly).toBe(true);
    expect(record.epochs).toHaveLength(3);
    expect(record.status).toBe('completed');
  });

  it('refuses to resume a missing run, to overwrite a run, or to resume on changed labels', async () => {
    await expect(train({ runDir: runDir(), dataset, resume: true })).rejects.toThrow(/holds no run to resume/);
    await expect(train({ runDir: reference.dir, dataset, config })).rejects.toThrow(
      /already holds a run \(completed\)/,
    );
    const relabelled = {
      ...dataset,
      samples: dataset.samples.map((s, i) => (i === 0 ? { ...s, label: 1 - s.label! } : s)),
    };
    await expect(train({ runDir: reference.dir, dataset: relabelled, resume: true })).rejects.toThrow(
      /changed since this run started/,
    );
  });

  it('fine-tunes from a Loupe model: frozen layers keep their weights, progressive unfreezing is recorded', async () => {
    const dir = runDir();
    const record = await train({
      runDir: dir,
      dataset,
      config: {
        ...config,
        schedule: { name: 'constant' },
        epochs: 2,
        fineTune: {
          from: { kind: 'loupe-model', dir: path.join(reference.dir, 'model') },
          freezeLayers: 3,
          unfreeze: [{ epoch: 1, freezeLayers: 2 }],
        },
      },
    });
    expect(record.epochs.map((e) => e.frozenLayers)).toEqual([3, 2]);
    const source = await loadModelFolder(path.join(reference.dir, 'model'));
    const tuned = await loadModelFolder(path.join(dir, 'model'));
    const valueOf = (m: tf.LayersModel, name: string) =>
      m.weights
        .find((w) => w.originalName === name)!
        .read()
        .dataSync();
    // Layers 1–2 (conv_1, bn_1) stayed frozen throughout; layer 3 (relu) has no weights; conv_2 trained in epoch 2.
    expect(valueOf(tuned.model, 'conv_1/kernel')).toEqual(valueOf(source.model, 'conv_1/kernel'));
    expect(valueOf(tuned.model, 'conv_2/kernel')).not.toEqual(valueOf(source.model, 'conv_2/kernel'));
    expect(tuned.model.layers.at(-1)!.name).toBe('head_finetune_logits');
    source.model.dispose();
    tuned.model.dispose();
  });

  it('fine-tunes an imported TF.js layers model with a softmax head kept as logits, and a backbone learning-rate factor of 0', async () => {
    const importDir = path.join(root, 'imported');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(importDir);
    const imported = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'features' }),
        tf.layers.globalAveragePooling2d({ name: 'pool' }),
        tf.layers.dense({ units: 2, activation: 'softmax', name: 'classifier' }),
      ],
    });
    await imported.save(layersSaveHandler(importDir));
    const importedFeatures = imported.getLayer('features').getWeights()[0]!.dataSync();
    imported.dispose();
    const dir = runDir();
    const record = await train({
      runDir: dir,
      dataset,
      config: {
        ...config,
        epochs: 1,
        fineTune: {
          from: { kind: 'tfjs-layers', modelJson: path.join(importDir, 'model.json') },
          head: 'keep',
          backboneLearningRateFactor: 0,
        },
      },
    });
    expect(record.config.model).toEqual({ architecture: 'imported', modelJson: path.join(importDir, 'model.json') });
    const tuned = await loadModelFolder(path.join(dir, 'model'));
    expect(tuned.model.getLayer('features').getWeights()[0]!.dataSync()).toEqual(importedFeatures);
    expect(tuned.model.layers.at(-1)!.getConfig().activation).toBe('linear');
    tuned.model.dispose();
  });

  it('evaluates and predicts with a saved model, without leaking tensors', async () => {
    const modelDir = path.join(reference.dir, 'model');
    const context = { signal: new AbortController().signal, progress: () => {} };
    const evaluation = await engineHandlers.evaluate(
      evaluateRequestSchema.parse({ modelDir, dataset, split: 'test' }),
      context,
    );
    expect(evaluation.report).toEqual(reference.record.evaluation);
    expect(evaluation.predictions.map((p) => p.id)).toEqual(reference.record.dataset.splits.test);
    const frames = scans.slice(0, 5).map((s) => s.frame);
    const request = predictRequestSchema.parse({ modelDir, frames });
    await engineHandlers.predict(request, context);
    const before = tf.memory().numTensors;
    const reply = await engineHandlers.predict(request, context);
    expect(tf.memory().numTensors).toBe(before);
    for (const prediction of reply.predictions) {
      if (!('probabilities' in prediction)) throw new Error('expected probabilities');
      expect(prediction.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('trains a U-Net and predicts masks at each frame’s own size', async () => {
    const segScans = makeSyntheticScans({ count: 24, size: 16, seed: 9, abnormalFraction: 1 });
    const dir = runDir();
    await train({
      runDir: dir,
      dataset: segmentationDataset(segScans),
      config: {
        ...config,
        task: 'segmentation',
        model: { architecture: 'unet', depth: 2, baseFilters: 4 },
        loss: { name: 'bce-dice' },
        epochs: 1,
        augment: { elastic: { alpha: 2, sigma: 2 } },
      },
    });
    const bigger = makeSyntheticScans({ count: 1, size: 24, seed: 3, abnormalFraction: 1 })[0]!;
    const context = { signal: new AbortController().signal, progress: () => {} };
    const reply = await engineHandlers.predict(
      predictRequestSchema.parse({ modelDir: path.join(dir, 'model'), frames: [bigger.frame] }),
      context,
    );
    const [prediction] = reply.predictions;
    if (!prediction || !('mask' in prediction)) throw new Error('expected a mask');
    expect([prediction.rows, prediction.columns, prediction.mask.length]).toEqual([24, 24, 576]);
    expect(prediction.classPixels.reduce((a, b) => a + b, 0)).toBe(576);
  });
});
