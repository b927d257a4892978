/**
 * The TFLite export checked by an independent runtime: Arm NN's TfLiteParser and CpuRef backend
 * (Debian's python3-pyarmnn) run the file on the same frames as Loupe's Predictor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelCard } from '../../../contract/index';
import { Predictor } from '../../train/predictor';
import { EXPORT_TEST_CASES, exportTestSpec, saveTestModel, testFrames } from '../export-test-support';
import { FP32_MAX_ABS_DIFF } from '../prediction-compare';
import { exportTflite } from './tflite-export';
import { checkTfliteParity } from './tflite-parity';

const FRAMES = 4;
let dir: string;
const measured: Record<string, number> = {};

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-tflite-'));
});

afterAll(() => {
  console.log('TFLite fp32 max |Arm NN − Loupe| per architecture:', measured);
  rmSync(dir, { recursive: true, force: true });
});

describe('TFLite export refusals', () => {
  it('names the layer the format cannot express', () => {
    const input = tf.input({ shape: [16, 16, 1], name: 'input' });
    const up = tf.layers
      .conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', name: 'decoder_deconv' })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: up });
    const card = {
      task: 'segmentation',
      input: { rows: 16, columns: 16, channels: 1 },
      preprocessing: exportTestSpec({ rows: 16, columns: 16 }),
    } as unknown as ModelCard;
    expect(() => exportTflite(model, card)).toThrow(
      /Layer "decoder_deconv" \(Conv2DTranspose\) cannot be expressed in TFLite/,
    );
    model.dispose();
  });
});

describe('TFLite fp32 export, run by Arm NN against the Predictor', () => {
  for (const [name, modelSpec] of EXPORT_TEST_CASES) {
    it(`${name}: outputs within ${FP32_MAX_ABS_DIFF}, same predictions`, async () => {
      const modelDir = path.join(dir, name.replace(/\W+/g, '-'));
      await saveTestModel(modelDir, modelSpec);
      const predictor = await Predictor.load(modelDir);
      try {
        const exported = exportTflite(predictor.model, predictor.card);
        // A TFLite file says what it is in its first bytes: the root offset, then "TFL3".
        expect(new TextDecoder().decode(exported.bytes.slice(4, 8))).toBe('TFL3');
        const tensorsBefore = tf.memory().numTensors;
        const parity = await checkTfliteParity(predictor, exported.bytes, testFrames(FRAMES, 32, 32));
        expect(tf.memory().numTensors).toBe(tensorsBefore);
        measured[name] = parity.maxAbsDiff;
        expect(parity.maxAbsDiff).toBeLessThanOrEqual(FP32_MAX_ABS_DIFF);
        expect(parity.samePredictions).toBe(FRAMES);
      } finally {
        predictor.dispose();
      }
    }, 300_000);
  }
});
