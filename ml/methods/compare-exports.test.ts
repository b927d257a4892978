import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRequestSchema, preprocessingSpecSchema } from '../../contract/index';
import { compareExportsRequestSchema } from '../../contract/channels/export-compare';
import { saveTestModel, testFrames, type TestModelSpec } from '../export/export-test-support';
import { compareExports } from './compare-exports';
import { BUNDLE_FILES, exportModel } from './export';

let dir: string;
const context = { signal: new AbortController().signal, progress: () => {} };

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-compare-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (extra: object) =>
  preprocessingSpecSchema.parse({
    rows: 32,
    columns: 32,
    applyRescale: false,
    intensity: { mode: 'range', min: 200, max: 3800 },
    ...extra,
  });

/** Labels that follow the pixels, so that a model's score is not only a matter of chance. */
function labelled(task: TestModelSpec['task'], classes: number) {
  return testFrames(10, 32, 32, 13).map((frame, i) => ({
    id: String(i),
    split: 'test' as const,
    image: { frame },
    ...(task === 'verification'
      ? { identity: `part-${i % 3}` }
      : task === 'classification'
        ? { label: i % classes }
        : task === 'detection'
          ? { boxes: [{ box: [4, 4, 16, 18] as [number, number, number, number], classId: i % classes }] }
          : {
              mask: {
                data: Uint8Array.from(frame.data, (v) => (v > 3000 ? 2 : v > 2200 ? 1 : 0)),
                rows: frame.rows,
                columns: frame.columns,
              },
            }),
  }));
}

const CASES: [string, TestModelSpec, boolean, 'accuracy' | 'Dice' | 'mAP@0.5' | 'EER'][] = [
  [
    'classification, preprocessing by the caller',
    {
      task: 'classification',
      model: { architecture: 'small-cnn', filters: [8, 16] },
      classes: ['ok', 'scratch', 'dent'],
      preprocessing: spec({ normalize: { mean: [0.5], std: [0.25] } }),
    },
    false,
    'accuracy',
  ],
  [
    'segmentation, padded input, baked in',
    {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 2, baseFilters: 8 },
      classes: ['background', 'a', 'b'],
      preprocessing: spec({ resize: 'pad' }),
    },
    true,
    'Dice',
  ],
  [
    'detection, baked in',
    {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [8, 16, 32] },
        headChannels: 16,
      },
      classes: ['nut', 'bolt'],
      preprocessing: spec({}),
    },
    true,
    'mAP@0.5',
  ],
  [
    'verification, baked in',
    {
      task: 'verification',
      model: {
        architecture: 'siamese',
        backbone: { architecture: 'small-cnn', filters: [8, 16] },
        pooling: 'flatten',
        hiddenUnits: 32,
        embeddingDim: 16,
      },
      classes: [],
      preprocessing: spec({}),
    },
    true,
    'EER',
  ],
];

describe('compareExports', () => {
  for (const [name, modelSpec, baked, metricName] of CASES) {
    it(`${name}: the fp32 export scores what Loupe's model scores, through the same evaluation code`, async () => {
      const slug = name.replace(/\W+/g, '-');
      const modelDir = path.join(dir, `model-${slug}`);
      await saveTestModel(modelDir, modelSpec, 5);
      const samples = labelled(modelSpec.task, modelSpec.classes.length);
      const dataset = { task: modelSpec.task, classes: modelSpec.classes, samples };
      const outDir = path.join(dir, `bundle-${slug}`);
      await exportModel(
        exportRequestSchema.parse({ modelDir, outDir, preprocessing: baked, dataset, split: 'test' }),
        context,
      );
      const modelFile = path.join(outDir, BUNDLE_FILES.model);
      const steps: number[] = [];
      const reply = await compareExports(
        compareExportsRequestSchema.parse({
          modelDir,
          variants: [{ format: 'onnx', precision: 'fp32', modelFile, preprocessingBaked: baked }],
          dataset,
          split: 'test',
        }),
        { ...context, progress: (p: { done: number; total: number }) => steps.push(p.done) },
      );
      expect(reply.metric.name).toBe(metricName);
      expect(reply.images).toBe(samples.length);
      expect(steps).toEqual([1, 2, 3]);
      const [row] = reply.rows;
      expect(row).toMatchObject({ format: 'onnx', precision: 'fp32', modelFile, modelBytes: statSync(modelFile).size });
      expect(reply.loupeMetric).not.toBeNull();
      // Parity within 1e-4 gives the same classes, masks and boxes; detection scores and pair similarities may move in the 4th decimal.
      expect(row!.metric).toBeCloseTo(
        reply.loupeMetric!,
        modelSpec.task === 'detection' || modelSpec.task === 'verification' ? 3 : 10,
      );
      expect(reply.metric.lowerIsBetter).toBe(modelSpec.task === 'verification');
      expect(row!.latencyMs).toBeGreaterThan(0);
      expect(row!.imagesPerSecond).toBeGreaterThan(0);
    }, 120_000);
  }

  it('is cancelled between measurements', async () => {
    const modelDir = path.join(dir, 'model-classification-preprocessing-by-the-caller');
    const controller = new AbortController();
    const request = compareExportsRequestSchema.parse({
      modelDir,
      variants: [
        {
          format: 'onnx',
          precision: 'fp32',
          modelFile: path.join(dir, 'bundle-classification-preprocessing-by-the-caller', BUNDLE_FILES.model),
          preprocessingBaked: false,
        },
      ],
      dataset: { task: 'classification', classes: ['ok', 'scratch', 'dent'], samples: labelled('classification', 3) },
      split: 'test',
    });
    const cancelling = {
      signal: controller.signal,
      progress: () => controller.abort(),
    };
    await expect(compareExports(request, cancelling)).rejects.toMatchObject({ code: 'CANCELLED' });
  }, 60_000);
});
