/**
 * ONNX export of a model that scales intensity by each file's stored type (Loupe's default,
 * "full range of the bit depth"): baked into the graph for the one stored type its images share,
 * stated in the bundle's card, and checked by the bundle's own Node runner on an 8-bit PNG against
 * Loupe's Predictor; images of two stored types are refused in words that say what to do.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRequestSchema, type DecodedFrame, type SamplePrediction } from '../../contract/index';
import { readTrainingFrame } from '../decode/frame-reader';
import { exportTestSpec, saveTestModel, testFrames, type TestModelSpec } from '../export/export-test-support';
import { Predictor } from '../train/predictor';
import { BUNDLE_FILES, exportModel } from './export';

let dir: string;
const context = { signal: new AbortController().signal, progress: () => {} };
const MODEL: TestModelSpec = {
  task: 'classification',
  model: { architecture: 'small-cnn', filters: [4, 8] },
  classes: ['ok', 'defect'],
  preprocessing: exportTestSpec({ intensity: { mode: 'dtype' } }),
};

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-export-dtype-'));
  // The bundle's Node runner imports onnxruntime-node and fast-png: let it find Loupe's.
  symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The test frames as 8-bit images (as PNG photographs and the demo's parts are stored). */
const eightBit = (frames: DecodedFrame[]): DecodedFrame[] =>
  frames.map((f) => ({
    ...f,
    data: Uint8Array.from(f.data as Uint16Array, (v) => v >> 4),
    rescaleSlope: 1,
    rescaleIntercept: 0,
  }));

function request(name: string, modelDir: string, frames: DecodedFrame[]) {
  return exportRequestSchema.parse({
    modelDir,
    outDir: path.join(dir, name),
    dataset: {
      task: 'classification',
      classes: MODEL.classes,
      samples: frames.map((frame, i) => ({ id: String(i), split: 'test', image: { frame }, label: i % 2 })),
    },
    split: 'test',
  });
}

describe('ONNX export of a model that scales by the stored type', () => {
  it("bakes the images' one stored range, says so in the card, and its runner predicts what Loupe does", async () => {
    const modelDir = path.join(dir, 'model');
    await saveTestModel(modelDir, MODEL, 3);
    const reply = await exportModel(request('bundle', modelDir, eightBit(testFrames(6, 32, 32, 5))), context);
    expect(reply.parity).toMatchObject({ images: 6, samePredictions: 6, passed: true });
    const card = JSON.parse(readFileSync(path.join(reply.outDir, BUNDLE_FILES.card), 'utf8')) as {
      loupe: { preprocessing: { intensity: unknown } };
    };
    expect(card.loupe.preprocessing.intensity).toEqual({ mode: 'range', min: 0, max: 255 });
    expect(readFileSync(path.join(reply.outDir, BUNDLE_FILES.cardPage), 'utf8')).toMatch(/0\D+255/);

    // An 8-bit PNG of another size: the runner resizes, the graph scales by 0–255, as Loupe does.
    const [frame] = eightBit(testFrames(2, 40, 40, 11).slice(1));
    const image = path.join(dir, 'eight-bit.png');
    writeFileSync(
      image,
      encode({ width: frame!.columns, height: frame!.rows, data: frame!.data as Uint8Array, depth: 8, channels: 1 }),
    );
    const printed = JSON.parse(
      execFileSync(process.execPath, [path.join(reply.outDir, BUNDLE_FILES.node), image], { encoding: 'utf8' }),
    ) as { predicted: number; probabilities: number[] };
    const predictor = await Predictor.load(modelDir);
    try {
      const [loupe] = (await predictor.predict([await readTrainingFrame(image, 0)])) as [SamplePrediction];
      if (!('predicted' in loupe)) throw new Error('expected a class');
      expect(printed.predicted).toBe(loupe.predicted);
      printed.probabilities.forEach((p, i) => expect(Math.abs(p - loupe.probabilities[i]!)).toBeLessThanOrEqual(1e-4));
    } finally {
      predictor.dispose();
    }
  }, 120_000);

  it('refuses images of two stored types, and says what to do instead', async () => {
    const modelDir = path.join(dir, 'model-mixed');
    await saveTestModel(modelDir, MODEL, 3);
    const frames = testFrames(4, 32, 32, 5);
    const mixed = [...eightBit(frames.slice(0, 2)), ...frames.slice(2)];
    await expect(exportModel(request('mixed', modelDir, mixed), context)).rejects.toThrow(
      'its images have 2 (0 to 255; -1024 to 64511); a graph can scale by one. Export without the scaling baked in (untick “Bake the intensity scaling” in the Export section, or --no-preprocessing)',
    );
  });
});
