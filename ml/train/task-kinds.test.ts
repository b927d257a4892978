/**
 * The training loop's promises hold for detection and verification runs too, on tiny generated
 * data, through the engine's train / evaluate / predict handlers: same seed → same run; no tensor
 * left behind by an epoch or a prediction; cancel within one batch; a resumed run reaching the
 * same weights as an uninterrupted one; settings saved in the model card and used again.
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
  type TrainingDatasetInput,
} from '../../contract/index';
import { detectionDataset, detectionSet } from '../../tests/fixtures/detection-shapes';
import { partSet, verificationDataset } from '../../tests/fixtures/verification-parts';
import { startTrainingBackend } from '../../tests/helpers/training-backend';
import { engineHandlers } from '../methods/index';
import { readModelCard } from '../../base/model-folder-files';
import { cancelInSecondEpoch, epochsWithoutDurations, trainer, weightsOf } from './train-test-support';

let root: string;
beforeAll(async () => {
  await startTrainingBackend();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-kinds-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
const runDir = (): string => path.join(root, `run-${++counter}`);
const context = () => ({ signal: new AbortController().signal, progress: () => {} });

const train = trainer(engineHandlers.train);

const small = { count: 0, seed: 0, size: 32, objectSize: [6, 12] as [number, number] };
const kinds: { name: string; dataset: TrainingDatasetInput; config: TrainingConfigInput }[] = [
  {
    name: 'detection',
    dataset: detectionDataset({
      train: detectionSet({ ...small, count: 12, seed: 5 }),
      val: detectionSet({ ...small, count: 4, seed: 6 }),
      test: detectionSet({ ...small, count: 4, seed: 7 }),
    }),
    config: {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [4, 8, 8] },
        headChannels: 8,
      },
      preprocessing: { rows: 32, columns: 32, intensity: { mode: 'dtype' } },
      loss: { name: 'centernet', sizeLoss: 'giou' },
      optimizer: { name: 'adam' },
      learningRate: 3e-3,
      epochs: 3,
      batchSize: 4,
      seed: 1,
      augment: { flipHorizontal: 0.5, rotationDegrees: 10, scale: 0.1 },
      detection: { scoreThreshold: 0.2, method: 'soft-gaussian' },
    },
  },
  {
    name: 'verification',
    dataset: verificationDataset({
      train: partSet({ identities: 6, viewsPerIdentity: 4, seed: 5, size: 16 }),
      val: partSet({ identities: 3, viewsPerIdentity: 3, seed: 6, size: 16 }),
      test: partSet({ identities: 3, viewsPerIdentity: 3, seed: 7, size: 16 }),
    }),
    config: {
      task: 'verification',
      model: { architecture: 'siamese', backbone: { architecture: 'small-cnn', filters: [4, 8] }, embeddingDim: 8 },
      preprocessing: { rows: 16, columns: 16, intensity: { mode: 'dtype' } },
      loss: { name: 'batch-hard-triplet' },
      optimizer: { name: 'adam' },
      learningRate: 3e-3,
      epochs: 3,
      batchSize: 8,
      seed: 1,
      augment: { flipHorizontal: 0.5, noiseStd: 0.02 },
      verification: { imagesPerIdentity: 2, targetFar: 0.1 },
    },
  },
];

describe.each(kinds)('$name runs', ({ name, dataset, config }) => {
  let reference: { dir: string; record: RunRecord };
  beforeAll(async () => {
    const dir = runDir();
    reference = { dir, record: await train({ runDir: dir, dataset, config }) };
  });

  it('records the run and saves its settings in the model card', async () => {
    const { record, dir } = reference;
    expect(record.status).toBe('completed');
    expect(record.task).toBe(name);
    expect(record.evaluation?.task).toBe(name);
    expect(record.epochs).toHaveLength(3);
    const card = await readModelCard(path.join(dir, 'model'));
    if (name === 'detection') {
      expect(record.config.detection).toMatchObject({
        scoreThreshold: 0.2,
        method: 'soft-gaussian',
        iouThreshold: 0.5,
        maxDetections: 100,
      });
      expect(card.detection).toEqual(record.config.detection);
      expect(card.output.activation).toBe('centernet');
      expect(Object.keys(record.epochs[0]!.validation)).toEqual(
        expect.arrayContaining(['val_loss', 'val_map50', 'val_map']),
      );
    } else {
      expect(card.output.activation).toBe('l2-normalized');
      expect(card.verification).toMatchObject({
        similarity: 'cosine',
        embeddingDim: 8,
        targetFar: 0.1,
        chosenOn: 'val',
      });
      expect(Object.keys(record.epochs[0]!.validation)).toEqual(
        expect.arrayContaining(['val_loss', 'val_eer', 'val_auc']),
      );
      if (record.evaluation?.task !== 'verification') throw new Error('expected a verification report');
      expect(record.evaluation.decision.threshold).toBe(card.verification!.threshold);
    }
  });

  it('gives the same metrics and weights for the same seed', async () => {
    const dir = runDir();
    const again = await train({ runDir: dir, dataset, config });
    expect(epochsWithoutDurations(again)).toEqual(epochsWithoutDurations(reference.record));
    expect(again.evaluation).toEqual(reference.record.evaluation);
    expect(weightsOf(dir).equals(weightsOf(reference.dir))).toBe(true);
  });

  it('leaves tf.memory().numTensors unchanged after every epoch, the run, an evaluate and a predict', async () => {
    const before = tf.memory().numTensors;
    const atEpochEnd: number[] = [];
    await train({ runDir: runDir(), dataset, config }, (p) => {
      if (p.epochRecord) atEpochEnd.push(tf.memory().numTensors);
    });
    expect(new Set(atEpochEnd).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const modelDir = path.join(reference.dir, 'model');
    const evaluateRequest = evaluateRequestSchema.parse({ modelDir, dataset, split: 'test' });
    const predictRequest = predictRequestSchema.parse({
      modelDir,
      frames: dataset.samples.slice(0, 3).map((s) => ('frame' in s.image ? s.image.frame : null)),
      ...(name === 'verification' ? { pairs: [{ a: 0, b: 1 }] } : {}),
    });
    await engineHandlers.evaluate(evaluateRequest, context());
    await engineHandlers.predict(predictRequest, context());
    const loaded = tf.memory().numTensors;
    const evaluation = await engineHandlers.evaluate(evaluateRequest, context());
    await engineHandlers.predict(predictRequest, context());
    expect(tf.memory().numTensors).toBe(loaded);
    expect(evaluation.report).toEqual(reference.record.evaluation);
  });

  it('continues from an earlier model of its kind with head "keep", and refuses to replace a multi-layer head', async () => {
    const from = { kind: 'loupe-model', dir: path.join(reference.dir, 'model') } as const;
    const tuned = await train({
      runDir: runDir(),
      dataset,
      config: { ...config, epochs: 1, fineTune: { from, head: 'keep', freezeLayers: 2 } },
    });
    expect(tuned.status).toBe('completed');
    expect(tuned.config.model).toEqual(reference.record.config.model);
    await expect(train({ runDir: runDir(), dataset, config: { ...config, fineTune: { from } } })).rejects.toThrow(
      new RegExp(`A ${name} run continues from a Loupe ${name} model with head "keep"`),
    );
  });

  it('stops within one batch of a cancel, and a resumed run reaches the same final weights as an uninterrupted one', async () => {
    const dir = runDir();
    const interrupted = await cancelInSecondEpoch(train, { runDir: dir, dataset, config });
    // Resuming with the config as first given (task settings unfilled) is the same run.
    const resumed = await train({ runDir: dir, dataset, config, resume: true });
    expect(resumed.runId).toBe(interrupted.runId);
    expect(epochsWithoutDurations(resumed)).toEqual(epochsWithoutDurations(reference.record));
    expect(weightsOf(dir).equals(weightsOf(reference.dir))).toBe(true);
  });
});

/** ResNet-18 and MobileNetV2 backbones take a while on a shared 2-core machine (a hang guard, not a speed claim). */
const LARGER_BACKBONE_TIMEOUT_MS = 120_000;

describe('detection and verification on the larger backbones', () => {
  it.each([
    [
      'CenterNet on ResNet-18',
      0,
      {
        architecture: 'centernet',
        backbone: { architecture: 'resnet18', baseFilters: 4, blocksPerStage: [1, 1, 1], stem: 'small' },
        headChannels: 4,
      },
    ],
    [
      'CenterNet on MobileNetV2',
      0,
      { architecture: 'centernet', backbone: { architecture: 'mobilenet-v2', widthMultiplier: 0.35 }, headChannels: 4 },
    ],
    [
      'Siamese on ResNet-18',
      1,
      {
        architecture: 'siamese',
        backbone: { architecture: 'resnet18', baseFilters: 4, blocksPerStage: [1] },
        embeddingDim: 8,
      },
    ],
  ] as const)(
    '%s trains an epoch, evaluates and saves',
    async (_name, kind, model) => {
      const { dataset, config } = kinds[kind]!;
      const record = await train({ runDir: runDir(), dataset, config: { ...config, model, epochs: 1, augment: {} } });
      expect(record.status).toBe('completed');
      expect(Number.isFinite(record.epochs[0]!.trainLoss)).toBe(true);
      expect(record.evaluation?.task).toBe(config.task);
    },
    LARGER_BACKBONE_TIMEOUT_MS,
  );
});
