/**
 * The engine's tflite export method around the writer and Arm NN: at most MAX_TFLITE_PARITY_IMAGES
 * checked, cancel between Arm NN calls and inside one, and no bundle without the interpreter.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportRequestSchema, type DecodedFrame } from '../../contract/index';
import { saveTestModel, testFrames, type TestModelSpec } from '../export/export-test-support';
import { runArmnn } from '../export/tflite/armnn-runner';
import { exportTfliteBundle, MAX_TFLITE_PARITY_IMAGES } from './export-tflite';
import { spec } from './export-tfjs-spec';

const context = { signal: new AbortController().signal, progress: () => {} };
const modelSpec: TestModelSpec = {
  task: 'classification',
  model: { architecture: 'small-cnn', filters: [8, 16] },
  classes: ['a', 'b'],
  preprocessing: spec(),
};

let dir: string;
let modelDir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-tflite-method-'));
  modelDir = path.join(dir, 'model');
  await saveTestModel(modelDir, modelSpec, 3);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => delete process.env.LOUPE_ARMNN_PYTHON);

function request(outDir: string, frames: DecodedFrame[]) {
  return exportRequestSchema.parse({
    modelDir,
    outDir,
    format: 'tflite',
    dataset: {
      task: modelSpec.task,
      classes: modelSpec.classes,
      samples: frames.map((frame, i) => ({ id: String(i), split: 'test', image: { frame }, label: i % 2 })),
    },
    split: 'test',
  });
}

describe('the tflite export method', () => {
  it(`checks at most ${MAX_TFLITE_PARITY_IMAGES} test images and writes the bundle`, async () => {
    const outDir = path.join(dir, 'capped');
    const reply = await exportTfliteBundle(request(outDir, testFrames(MAX_TFLITE_PARITY_IMAGES + 3, 32, 32)), context);
    expect(reply.parity).toMatchObject({
      images: MAX_TFLITE_PARITY_IMAGES,
      samePredictions: MAX_TFLITE_PARITY_IMAGES,
      passed: true,
    });
    expect(reply.files).toEqual(['model.tflite', 'model-card.json', 'model-card.md']);
    expect(existsSync(path.join(outDir, 'model.tflite'))).toBe(true);
  }, 120_000);

  it('stops between Arm NN calls when cancelled, and writes nothing', async () => {
    const outDir = path.join(dir, 'cancelled');
    const controller = new AbortController();
    const seen: number[] = [];
    const cancelling = {
      signal: controller.signal,
      progress: ({ done }: { done: number }) => {
        seen.push(done);
        controller.abort();
      },
    };
    await expect(exportTfliteBundle(request(outDir, testFrames(8, 32, 32)), cancelling)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(seen).toEqual([4]);
    expect(existsSync(outDir)).toBe(false);
  }, 120_000);

  it('ends the Arm NN process when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runArmnn(new Uint8Array(8), new Float32Array(4), 1, controller.signal)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });

  it('refuses without Arm NN, naming the packages to install, and writes nothing', async () => {
    process.env.LOUPE_ARMNN_PYTHON = path.join(dir, 'no-such-python');
    const outDir = path.join(dir, 'no-interpreter');
    await expect(exportTfliteBundle(request(outDir, testFrames(2, 32, 32)), context)).rejects.toThrow(
      /checked by Arm NN before it is written.*install python3-pyarmnn libarmnn-cpuref-backend22 libarmnntfliteparser22/,
    );
    expect(existsSync(outDir)).toBe(false);
  }, 120_000);
});
