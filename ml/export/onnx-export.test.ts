import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelCard } from '../../contract/index';
import { runReference } from '../../tests/helpers/python-reference';
import { Predictor } from '../train/predictor';
import { EXPORT_TEST_CASES, exportTestSpec, saveTestModel, testFrames } from './export-test-support';
import { exportOnnx } from './onnx-export';
import { checkOnnxParity, FP32_MAX_ABS_DIFF, openOnnxSession } from './onnx-parity';

const FRAMES = 4;
let dir: string;
const measured: Record<string, number> = {};

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-onnx-'));
});

afterAll(() => {
  console.log('ONNX fp32 max |ONNX Runtime − Loupe| per architecture:', measured);
  rmSync(dir, { recursive: true, force: true });
});

describe('ONNX export refusals', () => {
  it('names the layer a format cannot express', () => {
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
    expect(() => exportOnnx(model, card, { preprocessing: false })).toThrow(
      /Layer "decoder_deconv" \(Conv2DTranspose\) cannot be expressed in ONNX/,
    );
    model.dispose();
  });

  it('refuses to bake a stored-type intensity scale into the graph, and says what to do instead', async () => {
    const modelDir = path.join(dir, 'dtype');
    const card = await saveTestModel(modelDir, {
      task: 'classification',
      model: { architecture: 'small-cnn', filters: [4] },
      classes: ['a', 'b'],
      preprocessing: exportTestSpec({ intensity: { mode: 'dtype' } }),
    });
    const predictor = await Predictor.load(modelDir);
    expect(() => exportOnnx(predictor.model, card)).toThrow(/--no-preprocessing/);
    expect(exportOnnx(predictor.model, card, { preprocessing: false }).bytes.length).toBeGreaterThan(0);
    predictor.dispose();
  });
});

describe('ONNX fp32 export, checked by ONNX Runtime against the Predictor', () => {
  for (const [name, modelSpec] of EXPORT_TEST_CASES) {
    // The caller-preprocessed variant differs only at the input: two architectures cover it.
    const variants = name === 'small CNN' || name === 'U-Net (binary)' ? [true, false] : [true];
    for (const baked of variants) {
      it(`${name}, preprocessing ${baked ? 'baked in' : 'left to the caller'}: outputs within ${FP32_MAX_ABS_DIFF}, same predictions, accepted by onnx.checker`, async () => {
        const modelDir = path.join(dir, `${name.replace(/\W+/g, '-')}-${baked}`);
        await saveTestModel(modelDir, modelSpec);
        const predictor = await Predictor.load(modelDir);
        try {
          const exported = exportOnnx(predictor.model, predictor.card, { preprocessing: baked });
          const file = `${modelDir}.onnx`;
          writeFileSync(file, exported.bytes);
          const { results } = runReference<{ results: { ok: boolean; error: string | null; opset: number }[] }>(
            'onnx_check.py',
            { paths: [file] },
          );
          expect(results[0]).toMatchObject({ ok: true, error: null, opset: 17 });
          const session = await openOnnxSession(exported.bytes);
          const tensorsBefore = tf.memory().numTensors;
          const parity = await checkOnnxParity(predictor, session, testFrames(FRAMES, 32, 32), baked);
          expect(tf.memory().numTensors).toBe(tensorsBefore);
          await session.release();
          measured[`${name}${baked ? '' : ' (no preprocessing)'}`] = parity.maxAbsDiff;
          expect(parity.maxAbsDiff).toBeLessThanOrEqual(FP32_MAX_ABS_DIFF);
          expect(parity.samePredictions).toBe(FRAMES);
        } finally {
          predictor.dispose();
        }
      }, 300_000);
    }
  }
});
