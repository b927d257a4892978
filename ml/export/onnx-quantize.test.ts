import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessingSpecSchema } from '../../contract/index';
import { runReference } from '../../tests/helpers/python-reference';
import { toModalityImage } from '../data/preprocessing';
import { Predictor } from '../train/predictor';
import { saveTestModel, testFrames, type TestModelSpec } from './export-test-support';
import { buildOnnx } from './onnx-export';
import { toChannelsFirst } from './onnx-parity';
import { encodeModel } from './onnx-proto';
import { calibrate, CALIBRATION_METHODS, foldBatchNorms, quantizeQdq } from './onnx-quantize';

/** The bound on the int8 file against the fp32 one. */
const MAX_SIZE_RATIO = 0.3;
const spec = preprocessingSpecSchema.parse({ rows: 32, columns: 32, intensity: { mode: 'range', min: 0, max: 4000 } });
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
      model: { architecture: 'mobilenet-v2', widthMultiplier: 0.5 },
      classes: ['a', 'b', 'c', 'd'],
      preprocessing: spec,
    },
  ],
];

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-int8-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function batchOf(frames: ReturnType<typeof testFrames>): ort.Tensor {
  const data = new Float32Array(frames.length * 32 * 32);
  frames.forEach((f, i) => data.set(toChannelsFirst(toModalityImage(f, spec).data, 32, 32, 1), i * 32 * 32));
  return new ort.Tensor('float32', data, [frames.length, 1, 32, 32]);
}

async function logits(bytes: Uint8Array, batch: ort.Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = (await session.run({ image: batch })).logits!.data as Float32Array;
  await session.release();
  return out;
}

describe('int8 QDQ static quantization', () => {
  for (const [name, modelSpec] of CASES) {
    for (const method of CALIBRATION_METHODS) {
      it(`${name}, ${method} calibration: QDQ graph accepted by onnx.checker, ≤ ${MAX_SIZE_RATIO}× the fp32 file, logits close to fp32`, async () => {
        const modelDir = path.join(dir, `${name}-${method}`);
        await saveTestModel(modelDir, modelSpec, 9);
        const predictor = await Predictor.load(modelDir);
        const { parts } = buildOnnx(predictor.model, predictor.card);
        predictor.dispose();
        const fp32 = encodeModel(parts);
        const folded = foldBatchNorms(parts);
        const ranges = await calibrate(folded, [batchOf(testFrames(8, 32, 32, 1))], method);
        const int8 = encodeModel(quantizeQdq(folded, ranges));
        const file = path.join(dir, `${name}-${method}.onnx`);
        writeFileSync(file, int8);
        const { results } = runReference<{ results: { ok: boolean; error: string | null }[] }>('onnx_check.py', {
          paths: [file],
        });
        expect(results[0]).toMatchObject({ ok: true, error: null });
        expect(int8.length / fp32.length).toBeLessThanOrEqual(MAX_SIZE_RATIO);
        const test = batchOf(testFrames(8, 32, 32, 2));
        const [a, b, f] = [await logits(fp32, test), await logits(int8, test), await logits(encodeModel(folded), test)];
        // Folding batch norms alone changes nothing beyond float rounding.
        f.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThanOrEqual(1e-4));
        const spread = Math.max(...a) - Math.min(...a);
        const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
        console.log(
          `${name} ${method}: size ratio ${(int8.length / fp32.length).toFixed(3)}, max |int8 − fp32| logit ${worst.toExponential(2)} of a ${spread.toFixed(3)} logit spread`,
        );
        expect(worst).toBeLessThan(0.1 * spread);
      }, 300_000);
    }
  }
});
