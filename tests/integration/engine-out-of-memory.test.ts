/**
 * A model whose tensors cannot fit the CPU engine's tensor memory (1024² input, 1,024 filters: its
 * first convolution's output for one image is 4 GiB), predicted through the real engine worker:
 * the call fails with ENGINE_OUT_OF_MEMORY in plain words instead of an internal error, the worker
 * is replaced, and the engine predicts with another model right after. On the oneDNN backend the
 * worker's limit is set to 1 GiB (LOUPE_TENSOR_MEMORY_GIB), below what the machine could give; on
 * wasm the heap's 4 GiB is the limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessingSpecSchema } from '../../contract/index';
import { TENSOR_MEMORY_ENV } from '../../ml/backends/onednn/native-backend';
import { saveTestModel, testFrames } from '../../ml/export/export-test-support';
import { expectedBackend } from '../helpers/expected-backend';
import { realServices } from '../helpers/services';

/** The largest input side a preprocessing spec allows, and filters making its first feature map 1024² × 1024 × 4 bytes = 4 GiB. */
const HUGE = { side: 1024, filters: [1024] };
const SMALL = { side: 16, filters: [16, 8] };

let root: string;
let hugeModel: string;
let smallModel: string;

async function saveModel(dir: string, { side, filters }: { side: number; filters: number[] }): Promise<void> {
  await saveTestModel(dir, {
    task: 'classification',
    model: { architecture: 'small-cnn', filters },
    classes: ['a', 'b'],
    preprocessing: preprocessingSpecSchema.parse({ rows: side, columns: side, intensity: { mode: 'per-image' } }),
  });
}

beforeAll(async () => {
  // The engine worker inherits it.
  process.env[TENSOR_MEMORY_ENV] = '1';
  await tf.setBackend('cpu');
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-engine-oom-'));
  hugeModel = path.join(root, 'huge');
  smallModel = path.join(root, 'small');
  await saveModel(hugeModel, HUGE);
  await saveModel(smallModel, SMALL);
});

afterAll(() => {
  delete process.env[TENSOR_MEMORY_ENV];
  rmSync(root, { recursive: true, force: true });
});

describe('the engine out of tensor memory', () => {
  it('says so plainly, restarts, and predicts again', async () => {
    const { services, log } = realServices();
    try {
      const frames = testFrames(2, SMALL.side, SMALL.side);
      await expect(services.engine.call('predict', { modelDir: hugeModel, frames })).rejects.toMatchObject({
        code: 'ENGINE_OUT_OF_MEMORY',
        message: expect.stringMatching(
          expectedBackend() === 'onednn'
            ? /at most 1 GiB of them, and one more needed \d+(\.\d)? GiB.*batch size or the input size/
            : /at most 4 GiB.*batch size or the input size/,
        ),
      });
      const reply = await services.engine.call('predict', { modelDir: smallModel, frames });
      expect(reply.predictions).toHaveLength(2);
      expect(log.lines.some((l) => /ran out of tensor memory in predict; restarting/.test(l))).toBe(true);
    } finally {
      await services.dispose();
    }
  }, 120_000);
});
