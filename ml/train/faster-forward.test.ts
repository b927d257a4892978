/**
 * The forward prediction keeps (faster-forward.ts): ONNX Runtime's without timing on the CPU; on
 * a GPU whichever of the two ran a pass faster, with the timings said. Stub forwards stand for the
 * runtimes (one answers at once, the other after a pause far longer than any timer's noise); a
 * real model checks that the timed passes take the input prediction gives them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictRuntime } from '../../contract/index';
import { EXPORT_TEST_CASES, saveTestModel } from '../export/export-test-support';
import { checkInput, onnxForward } from '../export/onnx-forward';
import { fasterForward, timeForwards } from './faster-forward';
import { predictBatchSize, Predictor, type ModelForward } from './predictor';

/** A forward that answers after `pauseMs`, counting its passes and the inputs' lengths. */
function stub(runtime: PredictRuntime, pauseMs: number): ModelForward & { passes: number[] } {
  const passes: number[] = [];
  return {
    runtime,
    passes,
    async run(input, images) {
      passes.push(input.length / images);
      if (pauseMs > 0) await sleep(pauseMs);
      return { data: new Float32Array(images), dims: [images, 1] };
    },
    dispose() {},
  };
}

describe('the forward prediction keeps', () => {
  it('times each forward once untimed, then in turn, and names the fastest after one round of a clear win', async () => {
    const slow = stub('onnxruntime', 40);
    const fast = stub('engine', 0);
    const { fastest, timings } = await timeForwards([slow, fast], new Float32Array(12), 3, 3);
    expect(fastest).toBe(fast);
    expect(slow.passes).toEqual([4, 4]);
    expect(fast.passes).toEqual([4, 4]);
    expect(timings.map((t) => t.runtime)).toEqual(['onnxruntime', 'engine']);
    expect(timings[0]!.ms).toBeGreaterThan(timings[1]!.ms);
  });

  it('runs every round while neither is clearly faster', async () => {
    const a = stub('onnxruntime', 20);
    const b = stub('engine', 20);
    await timeForwards([a, b], new Float32Array(4), 1, 3);
    expect([a.passes.length, b.passes.length]).toEqual([4, 4]);
  });

  it('keeps ONNX Runtime off a GPU without running either or making the input', async () => {
    const engine = stub('engine', 0);
    const onnx = stub('onnxruntime', 40);
    const said: string[] = [];
    let made = 0;
    const input = (length: number) => (made++, new Float32Array(length));
    const kept = await fasterForward(engine, onnx, {
      images: 8,
      frameValues: 16,
      input,
      say: (l) => said.push(l),
      onGpu: false,
    });
    expect(kept).toBe(onnx);
    expect([engine.passes, onnx.passes, made, said]).toEqual([[], [], 0, []]);
  });

  for (const [winner, engineMs, onnxMs] of [
    ['engine', 0, 40],
    ['onnxruntime', 40, 0],
  ] as const)
    it(`on a GPU keeps the faster (here ${winner}) and says so with both timings`, async () => {
      const engine = stub('engine', engineMs);
      const onnx = stub('onnxruntime', onnxMs);
      const said: string[] = [];
      const kept = await fasterForward(engine, onnx, {
        images: 8,
        frameValues: 16,
        input: (length) => new Float32Array(length),
        say: (l) => said.push(l),
        onGpu: true,
      });
      expect(kept.runtime).toBe(winner);
      expect(engine.passes.length).toBe(2);
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(
        winner === 'engine' ? /^predicts on the engine \(GPU\): a pass of 8 frames took / : /^predicts on ONNX Runtime/,
      );
      expect(said[0]).toMatch(/[\d.]+ ms on the GPU, [\d.]+ ms on ONNX Runtime$/);
    });
});

describe('the forward prediction keeps, on a real model', () => {
  let dir: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-faster-forward-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('times both runtimes on a pass of prediction size, and the one kept predicts as the engine does', async () => {
    const spec = EXPORT_TEST_CASES.find(([name]) => name === 'small CNN')![1];
    await saveTestModel(dir, spec);
    const predictor = await Predictor.load(dir);
    try {
      const { rows, columns, channels } = predictor.card.input;
      const images = predictBatchSize(rows, columns);
      const onnx = await onnxForward(predictor, 1);
      const said: string[] = [];
      const kept = await fasterForward(predictor.engineForward, onnx, {
        images,
        frameValues: rows * columns * channels,
        input: checkInput,
        say: (l) => said.push(l),
        onGpu: true,
      });
      expect(said[0]).toContain(`a pass of ${images} frames took`);
      const input = checkInput(3 * rows * columns * channels);
      const [ours, engine] = [await kept.run(input, 3), await predictor.engineForward.run(input, 3)];
      expect(ours.dims).toEqual(engine.dims);
      ours.data.forEach((v, i) => expect(v).toBeCloseTo(engine.data[i]!, 4));
      if (kept !== onnx) onnx.dispose();
    } finally {
      predictor.dispose();
    }
  });
});
