import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamplePrediction } from '../../contract/index';
import { saveModelFolder } from '../model-io/model-folder';
import { Predictor } from '../train/predictor';
import { EXPORT_TEST_CASES, saveTestModel, testFrames } from './export-test-support';
import { packPreparedFrames, predictRequestSchema } from '../../contract/index';
import { prepareFrames } from '../data/preprocessing';
import { loadPredictor, predict, predictingPredictor } from '../methods/training';
import { onnxForward } from './onnx-forward';

let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-onnx-forward-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every number a user sees of a prediction, in order, and what must match exactly. */
function shown(p: SamplePrediction): { exact: unknown; values: number[] } {
  if ('predicted' in p) return { exact: p.predicted, values: p.probabilities };
  if ('mask' in p) return { exact: [Array.from(p.mask), p.classPixels], values: [p.meanEntropy ?? 0] };
  if ('detections' in p)
    return {
      exact: p.detections.map((d) => d.classId),
      values: p.detections.flatMap((d) => [d.score, ...d.box.map((v) => v / 100)]),
    };
  return { exact: p.embedding.length, values: Array.from(p.embedding) };
}

const CASES = EXPORT_TEST_CASES.filter(([name]) =>
  ['small CNN', 'U-Net (3 classes, padded)', 'CenterNet detector', 'Siamese embedding'].includes(name),
);

describe('Prediction on ONNX Runtime (the model step of the Predictor)', () => {
  for (const [name, spec] of CASES)
    it(`${name}: the same predictions as the engine's own graph, within float tolerance`, async () => {
      const modelDir = path.join(dir, name.replace(/\W+/g, '-'));
      await saveTestModel(modelDir, spec);
      const predictor = await Predictor.load(modelDir);
      try {
        const frames = testFrames(6, 32, 32);
        const detection = spec.task === 'detection' ? { scoreThreshold: 0.01 } : undefined;
        const engine = await predictor.predict(frames, undefined, detection);
        predictor.useForward(await onnxForward(predictor, 1));
        expect(predictor.runtimeFor({})).toBe('onnxruntime');
        expect(predictor.runtimeFor({ runtime: 'engine' })).toBe('engine');
        expect(predictor.runtimeFor({ embeddings: true })).toBe('engine');
        const tensorsBefore = tf.memory().numTensors;
        const onnx = await predictor.predict(frames, undefined, detection);
        expect(tf.memory().numTensors).toBe(tensorsBefore);
        expect(onnx).toHaveLength(frames.length);
        onnx.forEach((p, i) => {
          const [ours, theirs] = [shown(p), shown(engine[i]!)];
          expect(ours.exact).toEqual(theirs.exact);
          expect(ours.values).toHaveLength(theirs.values.length);
          ours.values.forEach((v, k) => expect(Math.abs(v - theirs.values[k]!)).toBeLessThan(1e-5));
        });
        if (spec.task === 'detection')
          expect(onnx.some((p) => 'detections' in p && p.detections.length > 0)).toBe(true);
        // Asked for the engine, the Predictor gives the engine's very numbers again.
        expect(await predictor.predict(frames, undefined, detection, { runtime: 'engine' })).toEqual(engine);
      } finally {
        predictor.dispose();
      }
    }, 300_000);

  it('leaves a model the exporter cannot write on the engine, naming the layer', async () => {
    const modelDir = path.join(dir, 'transposed');
    const card = await saveTestModel(modelDir, CASES[1]![1]);
    const input = tf.input({ shape: [32, 32, 1] });
    const up = tf.layers
      .conv2dTranspose({ filters: 3, kernelSize: 3, strides: 1, padding: 'same', name: 'decoder_deconv' })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: up });
    await saveModelFolder(modelDir, model, card);
    model.dispose();
    const predictor = await Predictor.load(modelDir);
    try {
      await expect(onnxForward(predictor, 1)).rejects.toThrow(/decoder_deconv/);
    } finally {
      predictor.dispose();
    }
    // What the engine's predict method loads: ONNX Runtime for a model that exports, the engine for this one.
    const exportable = path.join(dir, 'exportable');
    await saveTestModel(exportable, CASES[0]![1]);
    expect((await predictingPredictor(exportable)).runtimeFor({})).toBe('onnxruntime');
    expect((await predictingPredictor(modelDir)).runtimeFor({})).toBe('engine');
  }, 300_000);

  it('gives calls that arrive while a model loads (a batch run keeps two in flight) one predictor, on ONNX Runtime', async () => {
    const modelDir = path.join(dir, 'concurrent');
    await saveTestModel(modelDir, CASES[0]![1]);
    const [a, b, c] = await Promise.all([
      predictingPredictor(modelDir),
      predictingPredictor(modelDir),
      predictingPredictor(modelDir),
    ]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(a.runtimeFor({})).toBe('onnxruntime');
  }, 300_000);

  it('loadPredictor loads, ahead of the first predict call, the predictor that call then uses', async () => {
    const modelDir = path.join(dir, 'ahead');
    await saveTestModel(modelDir, CASES[0]![1]);
    const [auto, engine, first] = await Promise.all([
      loadPredictor({ modelDir, runtime: 'auto' }),
      loadPredictor({ modelDir, runtime: 'engine' }),
      predictingPredictor(modelDir),
    ]);
    expect(auto).toEqual({ task: CASES[0]![1].task, runtime: 'onnxruntime' });
    expect(engine).toEqual({ task: CASES[0]![1].task, runtime: 'engine' });
    expect(await predictingPredictor(modelDir)).toBe(first);
  }, 300_000);

  it('predict gives prepared input back, moved in its reply, when asked, and predicts the same', async () => {
    const modelDir = path.join(dir, 'give-back');
    await saveTestModel(modelDir, CASES[0]![1]);
    const { card } = await predictingPredictor(modelDir);
    const { input, frames } = prepareFrames(testFrames(3, 40, 40), card.preprocessing);
    const call = async (giveBack?: boolean) => {
      const moved: ArrayBuffer[] = [];
      const context = {
        signal: new AbortController().signal,
        progress: () => {},
        moveInReply: (b: ArrayBuffer) => moved.push(b),
      };
      const packed = packPreparedFrames(frames);
      const prepared = { input: input.slice(), frames: packed, ...(giveBack === undefined ? {} : { giveBack }) };
      const reply = await predict(predictRequestSchema.parse({ modelDir, prepared }), context);
      return { reply, moved, prepared };
    };
    const kept = await call();
    const given = await call(true);
    expect(kept.reply.input).toBeUndefined();
    expect(kept.moved).toEqual([]);
    expect(given.reply.input).toBe(given.prepared.input);
    expect(given.moved).toEqual([given.prepared.input.buffer]);
    expect(Array.from(given.reply.input!)).toEqual(Array.from(input));
    expect(given.reply.predictions).toEqual(kept.reply.predictions);
  }, 300_000);
});
