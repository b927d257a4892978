/**
 * The int8 TFLite export: calibrated through Arm NN on some frames, run by Arm NN on others, and
 * compared with Loupe's fp32 Predictor: the bound on the file size, the same classes, and
 * logits close to fp32 (as the ONNX int8 test measures them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INT8_MAX_SIZE_RATIO, preprocessingSpecSchema } from '../../../contract/index';
import { Predictor } from '../../train/predictor';
import { saveTestModel, testFrames, type TestModelSpec } from '../export-test-support';
import { calibrateTflite } from './tflite-calibrate';
import { encodeTflite, exportTflite } from './tflite-export';
import { checkTfliteParity, tfliteInput } from './tflite-parity';
import { BuiltinOperator } from './tflite-graph';
import { quantizeTflite } from './tflite-quantize';

const FRAMES = 16;
/** int8 logits may move by at most this fraction of the fp32 logits' spread. */
const MAX_LOGIT_ERROR = 0.1;
const spec = preprocessingSpecSchema.parse({ rows: 32, columns: 32, intensity: { mode: 'range', min: 0, max: 4000 } });
/** MobileNetV2 at its default width: at 0.5 its per-channel scales weigh so much against its few weights that the file is 0.301× fp32. */
const CASES: [string, TestModelSpec][] = [
  [
    'ResNet-18',
    {
      task: 'classification',
      model: { architecture: 'resnet18', baseFilters: 16 },
      classes: ['a', 'b', 'c', 'd'],
      preprocessing: spec,
    },
  ],
  [
    'MobileNetV2',
    {
      task: 'classification',
      model: { architecture: 'mobilenet-v2' },
      classes: ['a', 'b', 'c', 'd'],
      preprocessing: spec,
    },
  ],
];

let dir: string;
const measured: Record<string, object> = {};
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-tflite-int8-'));
});
afterAll(() => {
  console.log('TFLite int8 against Loupe fp32:', measured);
  rmSync(dir, { recursive: true, force: true });
});

async function calibrated(modelDir: string, modelSpec: TestModelSpec) {
  await saveTestModel(modelDir, modelSpec, 9);
  const predictor = await Predictor.load(modelDir);
  const fp32 = exportTflite(predictor.model, predictor.card);
  const calibration = testFrames(FRAMES, 32, 32, 1);
  const ranges = await calibrateTflite(fp32, tfliteInput(predictor, calibration), calibration.length);
  return { predictor, fp32, ranges };
}

describe('TFLite int8 full-integer quantization, run by Arm NN', () => {
  for (const [name, modelSpec] of CASES) {
    it(`${name}: ≤ ${INT8_MAX_SIZE_RATIO}× the fp32 file, same classes, logits within ${MAX_LOGIT_ERROR} of their spread`, async () => {
      const { predictor, fp32, ranges } = await calibrated(path.join(dir, name), modelSpec);
      try {
        const int8 = encodeTflite(quantizeTflite(fp32, ranges));
        const ratio = int8.length / fp32.bytes.length;
        expect(ratio).toBeLessThanOrEqual(INT8_MAX_SIZE_RATIO);
        const frames = testFrames(FRAMES, 32, 32, 2);
        const parity = await checkTfliteParity(predictor, int8, frames);
        const fp32Parity = await checkTfliteParity(predictor, fp32.bytes, frames);
        const input = tf.tensor4d(tfliteInput(predictor, frames), [FRAMES, 32, 32, 1]);
        const logits = Array.from((predictor.model.predict(input) as tf.Tensor).dataSync());
        tf.dispose([input]);
        const spread = Math.max(...logits) - Math.min(...logits);
        measured[name] = {
          sizeRatio: ratio,
          maxAbsDiff: parity.maxAbsDiff,
          spread,
          fp32MaxAbsDiff: fp32Parity.maxAbsDiff,
        };
        expect(parity.samePredictions).toBe(FRAMES);
        expect(parity.maxAbsDiff).toBeLessThan(MAX_LOGIT_ERROR * spread);
        // The int8 file is not the fp32 one: its outputs differ by more than float rounding.
        expect(parity.maxAbsDiff).toBeGreaterThan(fp32Parity.maxAbsDiff);
      } finally {
        predictor.dispose();
      }
    }, 300_000);
  }

  it('U-Net: its concatenations share one scale; ≤ 0.3× the fp32 file, logits within 0.1 of their spread', async () => {
    const { predictor, fp32, ranges } = await calibrated(path.join(dir, 'unet'), {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 3 },
      classes: ['background', 'lesion'],
      preprocessing: spec,
    });
    try {
      const int8 = quantizeTflite(fp32, ranges);
      const concatenations = int8.graph.operators.filter((o) => o.op === BuiltinOperator.CONCATENATION);
      expect(concatenations.length).toBe(3);
      for (const o of concatenations) {
        const scales = [...o.inputs, ...o.outputs].map((t) => int8.graph.tensors[t]!.quantization!.scale[0]);
        expect(new Set(scales).size).toBe(1);
      }
      const bytes = encodeTflite(int8);
      const ratio = bytes.length / fp32.bytes.length;
      expect(ratio).toBeLessThanOrEqual(INT8_MAX_SIZE_RATIO);
      const frames = testFrames(4, 32, 32, 2);
      const parity = await checkTfliteParity(predictor, bytes, frames);
      const input = tf.tensor4d(tfliteInput(predictor, frames), [frames.length, 32, 32, 1]);
      const logits = Array.from((predictor.model.predict(input) as tf.Tensor).dataSync());
      tf.dispose([input]);
      const spread = Math.max(...logits) - Math.min(...logits);
      measured['U-Net'] = {
        sizeRatio: ratio,
        maxAbsDiff: parity.maxAbsDiff,
        spread,
        sameMasks: parity.samePredictions,
      };
      expect(parity.maxAbsDiff).toBeLessThan(MAX_LOGIT_ERROR * spread);
    } finally {
      predictor.dispose();
    }
  }, 300_000);

  it('names what it cannot quantize (the detector head concatenates a sigmoid, whose int8 scale is fixed)', async () => {
    const { predictor, fp32, ranges } = await calibrated(path.join(dir, 'centernet'), {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [8, 16, 32] },
        headChannels: 16,
        outputStride: 4,
      },
      classes: ['nut', 'bolt'],
      preprocessing: spec,
    });
    predictor.dispose();
    expect(() => quantizeTflite(fp32, ranges)).toThrow(/cannot quantize this model: ".+" has fixed int8 parameters/);
  }, 300_000);
});
