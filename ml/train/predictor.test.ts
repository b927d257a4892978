import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessFrame } from '../data/preprocessing';
import { EXPORT_TEST_CASES, saveTestModel, testFrames } from '../export/export-test-support';
import { Predictor } from './predictor';

let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-predictor-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Predictor on frames prepared elsewhere (a batch run prepares them in its decode workers)', () => {
  const cases = EXPORT_TEST_CASES.filter(([name]) =>
    ['U-Net (3 classes, padded)', 'CenterNet detector'].includes(name),
  );
  for (const [name, spec] of cases)
    it(`${name}: the very predictions of the same frames given whole`, async () => {
      const modelDir = path.join(dir, name.replace(/\W+/g, '-'));
      await saveTestModel(modelDir, spec);
      const predictor = await Predictor.load(modelDir);
      try {
        // Frames of two sizes (one padded into the input): masks and boxes go back onto each frame.
        const frames = testFrames(5, 40, 24);
        const prepared = frames.map((f) => preprocessFrame(f, predictor.card.preprocessing));
        const size = prepared[0]!.input.length;
        const input = new Float32Array(frames.length * size);
        prepared.forEach((p, i) => input.set(p.input, i * size));
        const placed = prepared.map((p, i) => ({
          rows: frames[i]!.rows,
          columns: frames[i]!.columns,
          placement: p.placement,
        }));
        const detection = spec.task === 'detection' ? { scoreThreshold: 0.01 } : undefined;
        const whole = await predictor.predict(frames, undefined, detection);
        expect(await predictor.predictPrepared(input, placed, undefined, detection)).toEqual(whole);
        await expect(predictor.predictPrepared(input.subarray(size), placed)).rejects.toThrow(
          /prepared input holds .*; 5 frames of 32×32×1 take/,
        );
      } finally {
        predictor.dispose();
      }
    }, 300_000);
});

describe('Predictor with two calls in flight (a batch run keeps two with the engine)', () => {
  it("answers each call before the next call's forward pass takes the thread", async () => {
    const modelDir = path.join(dir, 'two-in-flight');
    const [, spec] = EXPORT_TEST_CASES.find(([name]) => name === 'small CNN')!;
    await saveTestModel(modelDir, spec);
    const predictor = await Predictor.load(modelDir);
    try {
      const events: string[] = [];
      const engine = predictor.engineForward;
      // As onnxruntime-node runs a session: synchronously, in a setImmediate callback.
      predictor.useForward({
        runtime: 'onnxruntime',
        run: (input, images) =>
          new Promise((resolve, reject) =>
            setImmediate(() => {
              events.push(`pass ${images}`);
              engine.run(input, images).then(resolve, reject);
            }),
          ),
        dispose: () => {},
      });
      const call = (frames: number) => {
        const prepared = testFrames(frames, 32, 32).map((f) => preprocessFrame(f, predictor.card.preprocessing));
        const size = prepared[0]!.input.length;
        const input = new Float32Array(frames * size);
        prepared.forEach((p, i) => input.set(p.input, i * size));
        const placed = prepared.map((p) => ({ rows: 32, columns: 32, placement: p.placement }));
        return predictor.predictPrepared(input, placed).then((p) => events.push(`answer ${p.length}`));
      };
      await Promise.all([call(3), call(2)]);
      expect(events).toEqual(['pass 3', 'answer 3', 'pass 2', 'answer 2']);
    } finally {
      predictor.dispose();
    }
  }, 120_000);
});
