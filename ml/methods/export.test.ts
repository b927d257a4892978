import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRequestSchema, preprocessingSpecSchema, type SamplePrediction } from '../../contract/index';
import { readTrainingFrame } from '../decode/frame-reader';
import { saveTestModel, testFrames, type TestModelSpec } from '../export/export-test-support';
import { Predictor } from '../train/predictor';
import { bundlePredictorFor } from '../export/bundle-predictor';
import { BUNDLE_FILES, exportModel } from './export';
import { loadPredictor } from './training';

let dir: string;
const context = { signal: new AbortController().signal, progress: () => {} };

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-export-'));
  // The bundle's Node runner imports onnxruntime-node and fast-png: let it find Loupe's.
  symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 16-bit grey PNG of another size than the model input, so the runner resizes as Loupe does. */
function writePng(file: string): void {
  const [frame] = testFrames(2, 40, 40, 11).slice(1);
  writeFileSync(
    file,
    encode({ width: frame!.columns, height: frame!.rows, data: frame!.data as Uint16Array, depth: 16, channels: 1 }),
  );
}

const spec = (extra: object) =>
  preprocessingSpecSchema.parse({
    rows: 32,
    columns: 32,
    applyRescale: false,
    intensity: { mode: 'range', min: 200, max: 3800 },
    ...extra,
  });
const CASES: [string, TestModelSpec, boolean][] = [
  [
    'classification, preprocessing baked in',
    {
      task: 'classification',
      model: { architecture: 'small-cnn' },
      classes: ['ok', 'scratch', 'dent'],
      preprocessing: spec({}),
    },
    true,
  ],
  [
    'classification, preprocessing by the runner',
    {
      task: 'classification',
      model: { architecture: 'small-cnn', filters: [8, 16] },
      classes: ['ok', 'defect'],
      preprocessing: spec({ normalize: { mean: [0.5], std: [0.25] } }),
    },
    false,
  ],
  [
    'detection, baked in',
    {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [8, 16, 32] },
        headChannels: 16,
      },
      classes: ['nut', 'bolt'],
      preprocessing: spec({}),
    },
    true,
  ],
  [
    'segmentation, padded input, baked in',
    {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 2, baseFilters: 8 },
      classes: ['background', 'a', 'b'],
      preprocessing: spec({ resize: 'pad' }),
    },
    true,
  ],
];

describe('export bundle', () => {
  for (const [name, modelSpec, baked] of CASES) {
    it(`${name}: writes model, card with parity, runners; the Node runner prints Loupe's prediction`, async () => {
      const modelDir = path.join(dir, `model-${name.replace(/\W+/g, '-')}`);
      await saveTestModel(modelDir, modelSpec, 3);
      const image = path.join(dir, 'image.png');
      writePng(image);
      const outDir = path.join(dir, `bundle-${name.replace(/\W+/g, '-')}`);
      const frames = testFrames(6, 32, 32, 5);
      const samples = frames.map((frame, i) => ({
        id: String(i),
        split: 'test' as const,
        image: { frame },
        ...(modelSpec.task === 'classification'
          ? { label: i % modelSpec.classes.length }
          : modelSpec.task === 'detection'
            ? { boxes: [] }
            : { mask: { data: new Uint8Array(frame.rows * frame.columns), rows: frame.rows, columns: frame.columns } }),
      }));
      const request = exportRequestSchema.parse({
        modelDir,
        outDir,
        preprocessing: baked,
        dataset: { task: modelSpec.task, classes: modelSpec.classes, samples },
        split: 'test',
      });
      const reply = await exportModel(request, context);
      expect(reply.parity).toMatchObject({ images: 6, samePredictions: 6, passed: true });
      expect(reply.parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      for (const file of Object.values(BUNDLE_FILES)) expect(existsSync(path.join(outDir, file))).toBe(true);
      const card = JSON.parse(readFileSync(path.join(outDir, BUNDLE_FILES.card), 'utf8')) as {
        onnx: { input: { name: string } };
        parity: unknown;
      };
      expect(card.onnx.input.name).toBe('image');
      expect(card.parity).toEqual(reply.parity);
      // The engine loads a bundle once for calls that arrive together (loadPredictor, then a batch run's first two).
      const [loaded, first, second] = await Promise.all([
        loadPredictor({ modelDir: outDir, runtime: 'auto' }),
        bundlePredictorFor(outDir),
        bundlePredictorFor(outDir),
      ]);
      expect(loaded).toEqual({ task: modelSpec.task, runtime: 'onnxruntime' });
      expect(second).toBe(first);
      expect(await bundlePredictorFor(outDir)).toBe(first);

      const printed = JSON.parse(
        execFileSync(process.execPath, [path.join(outDir, BUNDLE_FILES.node), image], { encoding: 'utf8' }),
      ) as Record<string, unknown>;
      const predictor = await Predictor.load(modelDir);
      let loupe: SamplePrediction;
      try {
        [loupe] = (await predictor.predict([await readTrainingFrame(image, 0)])) as [SamplePrediction];
      } finally {
        predictor.dispose();
      }
      if ('predicted' in loupe) {
        expect(printed.predicted).toBe(loupe.predicted);
        (printed.probabilities as number[]).forEach((p, i) =>
          expect(Math.abs(p - loupe.probabilities[i]!)).toBeLessThanOrEqual(1e-4),
        );
      } else if ('classPixels' in loupe) {
        expect(printed).toEqual({ rows: loupe.rows, columns: loupe.columns, classPixels: loupe.classPixels });
      } else if ('detections' in loupe) {
        const boxes = printed.detections as { box: number[]; classId: number; score: number }[];
        expect(loupe.detections.length).toBeGreaterThan(0);
        expect(boxes.map((d) => d.classId)).toEqual(loupe.detections.map((d) => d.classId));
        boxes.forEach((d, i) =>
          d.box.forEach((v, j) => expect(Math.abs(v - loupe.detections[i]!.box[j]!)).toBeLessThanOrEqual(1e-3)),
        );
      }
    }, 120_000);
  }

  it('refuses an output folder that exists unless forced', async () => {
    const modelDir = path.join(dir, 'model-refuse');
    const modelSpec = CASES[0]![1];
    await saveTestModel(modelDir, modelSpec);
    const outDir = path.join(dir, 'existing');
    mkdirSync(outDir);
    writeFileSync(path.join(outDir, 'keep.txt'), 'mine');
    const samples = testFrames(2, 32, 32).map((frame, i) => ({
      id: String(i),
      split: 'test' as const,
      image: { frame },
      label: 0,
    }));
    const request = exportRequestSchema.parse({
      modelDir,
      outDir,
      dataset: { task: 'classification', classes: modelSpec.classes, samples },
      split: 'test',
    });
    await expect(exportModel(request, context)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('--force'),
    });
    expect(readFileSync(path.join(outDir, 'keep.txt'), 'utf8')).toBe('mine');
    await exportModel({ ...request, force: true }, context);
    expect(existsSync(path.join(outDir, 'keep.txt'))).toBe(false);
    expect(existsSync(path.join(outDir, BUNDLE_FILES.model))).toBe(true);
  }, 120_000);
});
