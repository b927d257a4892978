/**
 * Pruning and distillation, against references: tfmot's polynomial schedule and Hinton's loss
 * computed by tests/reference/compression_reference.py (NumPy, torch), the zeros of a pruned
 * run's exported ONNX counted by the onnx package, and tiny end-to-end runs of both.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneConfigSchema, type LossConfig, type RunRecord, type TrainingConfigInput } from '../../contract/index';
import { classificationDataset, makeSyntheticScans, segmentationDataset } from '../../tests/fixtures/synthetic-scans';
import { startTrainingBackend } from '../../tests/helpers/training-backend';
import { runReference } from '../../tests/helpers/python-reference';
import { distillationLoss } from '../losses/distillation';
import { createLoss } from '../losses/index';
import { exportOnnx } from '../export/onnx-export';
import { loadModelFolder } from '../model-io/model-folder';
import { runTraining } from './loop';
import { isPruningStep, polynomialSparsity, prunableKernels, pruningSteps, smallestMasked, zerosFor } from './pruning';
import { trainer } from './train-test-support';

interface Reference {
  sparsity: number[];
  prune: boolean[];
  loss: number;
  onnx_kernels: { name: string; zeros: number; size: number }[];
}

const TARGET = 0.8;
const TEACHER_RUN = 'run-20260101-000000-abcd';
const LOSS_TOLERANCE = 1e-5;
/** The measured share of zeros may differ from the target by the rounding of each kernel's count. */
const SPARSITY_TOLERANCE = 0.01;
/** Each reference call starts Python and imports torch. */
const REFERENCE_TIMEOUT_MS = 120_000;

let root: string;
let counter = 0;
const runDir = (): string => path.join(root, `run-${++counter}`);
const train = trainer(runTraining);
const scans = makeSyntheticScans({ count: 48, size: 16, seed: 4 });
const dataset = classificationDataset(scans);
const base: TrainingConfigInput = {
  task: 'classification',
  model: { architecture: 'small-cnn', filters: [8, 16] },
  preprocessing: { rows: 16, columns: 16 },
  loss: { name: 'cross-entropy' },
  learningRate: 5e-3,
  epochs: 3,
  batchSize: 8,
  seed: 1,
};

function reference(input: { distill?: object; onnx?: string; schedule?: object }): Reference {
  return runReference<Reference>('compression_reference.py', {
    schedule: { initial: 0, final: TARGET, power: 3, begin: 0, end: 1, frequency: 1, steps: [] },
    distill: { student: [[0, 0]], teacher: [[0, 0]], labels: [0], temperature: 1, alpha: 0 },
    onnx: null,
    ...input,
  });
}

let teacher: { dir: string; record: RunRecord };
beforeAll(async () => {
  await startTrainingBackend();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-compression-'));
  const dir = runDir();
  teacher = { dir, record: await train({ runDir: dir, dataset, config: base }) };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pruning schedule', () => {
  it(
    "equals tfmot's PolynomialDecay (computed in NumPy) at every step, and prunes on its steps plus the last",
    { timeout: REFERENCE_TIMEOUT_MS },
    () => {
      const prune = pruneConfigSchema.parse({
        targetSparsity: TARGET,
        initialSparsity: 0.1,
        startEpoch: 1,
        endEpoch: 4,
        frequency: 3,
      });
      const steps = pruningSteps(prune, 6, 5);
      expect(steps).toEqual({ beginStep: 5, endStep: 19, endEpoch: 4 });
      const all = Array.from({ length: 30 }, (_, t) => t);
      const ref = reference({
        schedule: { initial: 0.1, final: TARGET, power: 3, begin: 5, end: 19, frequency: 3, steps: all },
      });
      all.forEach((t) => expect(polynomialSparsity(prune, steps, t)).toBeCloseTo(ref.sparsity[t]!, 12));
      // tfmot skips the end step when the frequency misses it; Loupe prunes there too, to reach the target.
      expect(all.filter((t) => isPruningStep(prune, steps, t))).toEqual(
        all.filter((t) => ref.prune[t] || t === steps.endStep),
      );
    },
  );

  it('masks exactly the smallest magnitudes, ties broken by position', () => {
    expect(Array.from(smallestMasked([0.5, -0.1, 0.1, 0, 0.3, -0.1], 3))).toEqual([1, 0, 0, 0, 1, 1]);
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 - 0.5);
    const zeros = zerosFor(values.length, TARGET);
    const byMagnitude = Array.from(values.keys()).sort((a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b);
    const expected = new Float32Array(values.length).fill(1);
    for (const i of byMagnitude.slice(0, zeros)) expected[i] = 0;
    expect(smallestMasked(values, zeros)).toEqual(expected);
    expect(zeros).toBe(800);
  });

  it('refuses a pruning window beyond the run', () => {
    const prune = pruneConfigSchema.parse({ targetSparsity: TARGET, endEpoch: 5 });
    expect(() => pruningSteps(prune, 3, 4)).toThrow(/does not fit a run of 3 epochs/);
  });
});

describe('pruning a completed run', () => {
  let pruned: { dir: string; record: RunRecord };
  beforeAll(async () => {
    const dir = runDir();
    const config: TrainingConfigInput = {
      ...base,
      epochs: 4,
      learningRate: 1e-3,
      fineTune: { from: { kind: 'loupe-model', dir: path.join(teacher.dir, 'model') }, head: 'keep' },
      prune: { targetSparsity: TARGET, startEpoch: 0, endEpoch: 3, frequency: 2 },
    };
    pruned = { dir, record: await train({ runDir: dir, dataset, config }) };
  });

  it('ends with the target share of exact zeros in conv and dense kernels, none in biases, recorded per epoch', async () => {
    const { model } = await loadModelFolder(path.join(pruned.dir, 'model'));
    let zeros = 0;
    let size = 0;
    for (const kernel of prunableKernels(model)) {
      const values = kernel.read().dataSync();
      zeros += values.filter((v) => v === 0).length;
      size += values.length;
    }
    const biasZeros = model.weights
      .filter((w) => /bias$/.test(w.originalName))
      .reduce(
        (n, w) =>
          n +
          w
            .read()
            .dataSync()
            .filter((v) => v === 0).length,
        0,
      );
    model.dispose();
    expect(Math.abs(zeros / size - TARGET)).toBeLessThan(SPARSITY_TOLERANCE);
    expect(biasZeros).toBe(0);
    const sparsity = pruned.record.epochs.map((e) => e.sparsity!);
    expect(sparsity[0]).toBeGreaterThan(0);
    expect(sparsity[0]).toBeLessThan(sparsity[2]!);
    // Epoch 3 fine-tunes with the masks held: the zeros stay.
    expect(sparsity[3]).toBe(sparsity[2]);
    expect(Math.abs(sparsity[3]! - TARGET)).toBeLessThan(SPARSITY_TOLERANCE);
    // Only epochs at the target may be the best.
    expect(pruned.record.best!.epoch).toBeGreaterThanOrEqual(2);
  });

  it(
    'exports an ONNX model whose kernels hold the zeros (counted by the onnx package) and deflates smaller than the dense one',
    { timeout: REFERENCE_TIMEOUT_MS },
    async () => {
      const sizes: Record<string, { raw: number; deflated: number; zeros: number }> = {};
      for (const [name, dir] of [
        ['dense', teacher.dir],
        ['pruned', pruned.dir],
      ] as const) {
        const { model, card } = await loadModelFolder(path.join(dir, 'model'));
        const tfjsZeros = prunableKernels(model).reduce(
          (n, k) =>
            n +
            k
              .read()
              .dataSync()
              .filter((v) => v === 0).length,
          0,
        );
        const { bytes } = exportOnnx(model, card);
        model.dispose();
        const file = path.join(root, `${name}.onnx`);
        writeFileSync(file, bytes);
        const kernels = reference({ onnx: file }).onnx_kernels;
        const zeros = kernels.reduce((n, k) => n + k.zeros, 0);
        expect(zeros).toBe(tfjsZeros);
        sizes[name] = { raw: bytes.length, deflated: deflateRawSync(bytes).length, zeros };
      }
      console.log('ONNX sizes (bytes, raw and deflated):', JSON.stringify(sizes));
      expect(sizes.pruned!.raw).toBe(sizes.dense!.raw);
      expect(sizes.pruned!.zeros).toBeGreaterThan(0);
      expect(sizes.pruned!.deflated).toBeLessThan(sizes.dense!.deflated * 0.75);
    },
  );
});

describe('distillation', () => {
  it(
    "equals Hinton's loss computed with torch (kl_div, log_target=True, batchmean) on fixed logits",
    { timeout: REFERENCE_TIMEOUT_MS },
    () => {
      const student = [
        [1.2, -0.4, 0.3],
        [-2.0, 0.5, 1.5],
        [0.1, 0.2, -0.3],
      ];
      const teacherLogits = [
        [2.5, -1.0, 0.0],
        [-1.0, -0.5, 3.0],
        [0.7, 0.0, -0.9],
      ];
      const labels = [0, 2, 1];
      for (const [temperature, alpha] of [
        [4, 0.5],
        [1, 0.9],
        [7.5, 0.2],
      ] as const) {
        const lossConfig: LossConfig = { name: 'cross-entropy', labelSmoothing: 0 };
        const hard = createLoss(lossConfig, { task: 'classification', numClasses: 3, outputChannels: 3 });
        const teacherTensor = tf.tensor2d(teacherLogits);
        const loss = distillationLoss(hard, teacherTensor, { temperature, alpha });
        const value = tf.tidy(() => loss(tf.tensor1d(labels), tf.tensor2d(student)).dataSync()[0]!);
        teacherTensor.dispose();
        const ref = reference({ distill: { student, teacher: teacherLogits, labels, temperature, alpha } });
        expect(Math.abs(value - ref.loss)).toBeLessThan(LOSS_TOLERANCE);
      }
    },
  );

  it('trains a smaller student from a completed run and records the teacher and student metrics', async () => {
    const record = await train({
      runDir: runDir(),
      dataset,
      config: {
        ...base,
        model: { architecture: 'small-cnn', filters: [4, 8] },
        distill: { teacherRunId: TEACHER_RUN, teacherDir: path.join(teacher.dir, 'model'), temperature: 4, alpha: 0.5 },
      },
    });
    expect(record.status).toBe('completed');
    expect(record.evaluation?.task).toBe('classification');
    expect(record.teacher?.runId).toBe(TEACHER_RUN);
    // The teacher measured on this run's test split equals its own run's test evaluation (same split).
    expect(record.teacher?.metrics).toEqual(teacher.record.evaluation);
  });

  it('refuses a teacher whose preprocessing differs, naming what differs', async () => {
    const attempt = train({
      runDir: runDir(),
      dataset,
      config: {
        ...base,
        preprocessing: { rows: 24, columns: 16 },
        distill: { teacherRunId: TEACHER_RUN, teacherDir: path.join(teacher.dir, 'model') },
      },
    });
    await expect(attempt).rejects.toThrow(/preprocessing differs in rows/);
  });

  it('refuses tasks other than classification', async () => {
    const attempt = train({
      runDir: runDir(),
      dataset: segmentationDataset(scans),
      config: {
        ...base,
        task: 'segmentation',
        model: { architecture: 'unet', depth: 1, baseFilters: 4 },
        loss: { name: 'dice' },
        distill: { teacherRunId: TEACHER_RUN },
      },
    });
    await expect(attempt).rejects.toThrow(/Distillation is for classification runs; this run trains segmentation/);
  });
});
