import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRequestSchema, type DecodedFrame, type ModelCard } from '../../contract/index';
import { initBackend } from '../backends/select';
import { preprocessFrame } from '../data/preprocessing';
import { saveTestModel, testFrames, type TestModelSpec } from '../export/export-test-support';
import { FP32_MAX_ABS_DIFF } from '../export/prediction-compare';
import { TFJS_FILES } from '../export/tfjs-export';
import { openStockTfjs } from '../export/tfjs-stock';
import loupePreprocessJs from '../export/tfjs-page/loupe-preprocess.js?raw';
import loupeJs from '../export/tfjs-page/loupe.js?raw';
import { Predictor } from '../train/predictor';
import { exportTfjs, MAX_TFJS_PARITY_IMAGES, TFJS_CARD } from './export-tfjs';
import { spec } from './export-tfjs-spec';

let dir: string;
const context = { signal: new AbortController().signal, progress: () => {} };
const measured: Record<string, number> = {};

beforeAll(async () => {
  // Loupe's side runs as the engine does (wasm with Loupe's kernels); stock tfjs runs its cpu backend.
  await initBackend('wasm');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-tfjs-'));
});

afterAll(() => {
  console.log('TF.js max |stock tfjs (page code) − Loupe| per architecture:', measured);
  rmSync(dir, { recursive: true, force: true });
});

const CASES: [string, TestModelSpec][] = [
  [
    'small CNN classifier',
    {
      task: 'classification',
      model: { architecture: 'small-cnn' },
      classes: ['ok', 'scratch', 'dent'],
      preprocessing: spec(),
    },
  ],
  [
    'U-Net (binary, per-image intensity)',
    {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 3 },
      classes: ['background', 'lesion'],
      preprocessing: spec({ intensity: { mode: 'per-image' } }),
    },
  ],
  [
    'U-Net (3 classes, padded, windowed)',
    {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 2, baseFilters: 8 },
      classes: ['background', 'a', 'b'],
      preprocessing: spec({ resize: 'pad', intensity: { mode: 'window', window: { center: 1000, width: 2500 } } }),
    },
  ],
  [
    'CenterNet detector',
    {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [8, 16, 32] },
        headChannels: 16,
      },
      classes: ['nut', 'bolt'],
      preprocessing: spec(),
    },
  ],
  [
    'CenterNet detector, soft-NMS (no page; boxes by Loupe from stock outputs)',
    {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [8, 16, 32] },
        headChannels: 16,
      },
      classes: ['nut', 'bolt'],
      preprocessing: spec(),
    },
  ],
  [
    'Siamese embedding (custom L2 layer)',
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
      preprocessing: spec(),
    },
  ],
];

function samplesFor(modelSpec: TestModelSpec, frames: DecodedFrame[]) {
  return frames.map((frame, i) => ({
    id: String(i),
    split: 'test' as const,
    image: { frame },
    ...(modelSpec.task === 'classification'
      ? { label: i % modelSpec.classes.length }
      : modelSpec.task === 'detection'
        ? { boxes: [] }
        : modelSpec.task === 'verification'
          ? { identity: `part-${i % 3}` }
          : { mask: { data: new Uint8Array(frame.rows * frame.columns), rows: frame.rows, columns: frame.columns } }),
  }));
}

/**
 * model.json and its shards, as any tfjs reads them from disk, loaded into a fresh stock tfjs (the
 * artifacts are built inside its context: tfjs checks ArrayBuffers and arrays of its own realm).
 */
async function loadShardedModel(outDir: string, withLoupeLayers: boolean) {
  const stock = await openStockTfjs(
    withLoupeLayers
      ? [
          { name: 'loupe-preprocess.js', text: loupePreprocessJs },
          { name: 'loupe.js', text: loupeJs },
        ]
      : [],
  );
  if (withLoupeLayers) (stock.global.LoupeExport as { registerLayers(t: unknown): void }).registerLayers(stock.tf);
  const json = readFileSync(path.join(outDir, TFJS_FILES.modelJson), 'utf8');
  const paths = (JSON.parse(json) as tf.io.ModelJSON).weightsManifest[0]!.paths;
  const weights = Buffer.concat(paths.map((p) => readFileSync(path.join(outDir, p)))).toString('base64');
  const model = (await stock.run({
    name: 'load-sharded.js',
    text: `(() => {
      const json = ${json};
      const weightData = Uint8Array.from(atob('${weights}'), (c) => c.charCodeAt(0)).buffer;
      const artifacts = { modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData };
      return tf.loadLayersModel(tf.io.fromMemory(artifacts));
    })()`,
  })) as tf.LayersModel;
  return { stock, model };
}

describe('TF.js export, checked by stock tfjs', () => {
  for (const [name, modelSpec] of CASES) {
    it(`${name}: bundle files, parity on the test split, model.json loads in stock tfjs`, async () => {
      const slug = name.replace(/\W+/g, '-');
      const modelDir = path.join(dir, `model-${slug}`);
      let card: ModelCard = await saveTestModel(modelDir, modelSpec, 3);
      const softNms = name.includes('soft-NMS');
      if (softNms) {
        card = { ...card, detection: { ...card.detection!, method: 'soft-gaussian' } };
        writeFileSync(path.join(modelDir, 'model-card.json'), JSON.stringify(card));
      }
      const outDir = path.join(dir, `bundle-${slug}`);
      const frames = testFrames(6, 32, 32, 5);
      const request = exportRequestSchema.parse({
        modelDir,
        outDir,
        format: 'tfjs',
        dataset: { task: modelSpec.task, classes: modelSpec.classes, samples: samplesFor(modelSpec, frames) },
        split: 'test',
      });
      const reply = await exportTfjs(request, context);
      measured[name] = reply.parity.maxAbsDiff;
      expect(reply.parity).toMatchObject({ images: 6, samePredictions: 6, passed: true, tolerance: FP32_MAX_ABS_DIFF });
      expect(reply.parity.maxAbsDiff).toBeLessThanOrEqual(FP32_MAX_ABS_DIFF);
      expect(reply.parity.runtime).toContain('@tensorflow/tfjs');
      const written = JSON.parse(readFileSync(path.join(outDir, TFJS_CARD), 'utf8')) as {
        parity: unknown;
        tfjs: { page: string | null; customLayers: { className: string }[]; weightShards: string[] };
      };
      expect(written.parity).toEqual(reply.parity);
      const hasPage = modelSpec.task !== 'verification' && !softNms;
      expect(written.tfjs.page).toBe(hasPage ? 'index.html' : null);
      expect(existsSync(path.join(outDir, TFJS_FILES.page))).toBe(hasPage);
      for (const file of [
        TFJS_FILES.modelJson,
        TFJS_FILES.preprocess,
        TFJS_FILES.code,
        TFJS_FILES.tfjs,
        ...written.tfjs.weightShards,
      ])
        expect(existsSync(path.join(outDir, file))).toBe(true);
      const custom = modelSpec.task === 'verification';
      expect(written.tfjs.customLayers.map((l) => l.className)).toEqual(custom ? ['LoupeL2Normalize'] : []);

      // The sharded model.json gives Loupe's outputs in a stock tfjs too.
      const { stock, model } = await loadShardedModel(outDir, custom);
      const { rows, columns, channels } = card.input;
      const size = rows * columns * channels;
      const input = new Float32Array(frames.length * size);
      frames.forEach((f, i) => input.set(preprocessFrame(f, card.preprocessing).input, i * size));
      const theirs = stock.tf.tidy(() =>
        (
          model.predict(stock.tf.tensor4d(Array.from(input), [frames.length, rows, columns, channels])) as tf.Tensor
        ).dataSync(),
      );
      const predictor = await Predictor.load(modelDir);
      try {
        const ours = tf.tidy(() =>
          (
            predictor.model.predict(tf.tensor4d(input, [frames.length, rows, columns, channels])) as tf.Tensor
          ).dataSync(),
        );
        expect(theirs.length).toBe(ours.length);
        // Boxes compared only when there are some: the detector's random weights must give peaks above threshold.
        if (modelSpec.task === 'detection') {
          const predictions = await predictor.predict(frames);
          expect(predictions.some((p) => 'detections' in p && p.detections.length > 0)).toBe(true);
        }
        ours.forEach((v, i) => expect(Math.abs(v - theirs[i]!)).toBeLessThanOrEqual(FP32_MAX_ABS_DIFF));
      } finally {
        predictor.dispose();
        model.dispose();
      }
    }, 120_000);
  }

  it(`checks at most ${MAX_TFJS_PARITY_IMAGES} test images`, async () => {
    const modelSpec = CASES[0]![1];
    const modelDir = path.join(dir, 'model-capped');
    await saveTestModel(modelDir, modelSpec, 4);
    const frames = testFrames(MAX_TFJS_PARITY_IMAGES + 4, 32, 32, 8);
    const request = exportRequestSchema.parse({
      modelDir,
      outDir: path.join(dir, 'bundle-capped'),
      format: 'tfjs',
      dataset: { task: modelSpec.task, classes: modelSpec.classes, samples: samplesFor(modelSpec, frames) },
      split: 'test',
    });
    const reply = await exportTfjs(request, context);
    expect(reply.parity).toMatchObject({
      images: MAX_TFJS_PARITY_IMAGES,
      samePredictions: MAX_TFJS_PARITY_IMAGES,
      passed: true,
    });
  }, 120_000);

  it('stops between images when cancelled, and writes nothing', async () => {
    const modelSpec = CASES[0]![1];
    const modelDir = path.join(dir, 'model-cancel');
    await saveTestModel(modelDir, modelSpec, 6);
    const outDir = path.join(dir, 'bundle-cancel');
    const request = exportRequestSchema.parse({
      modelDir,
      outDir,
      format: 'tfjs',
      dataset: {
        task: modelSpec.task,
        classes: modelSpec.classes,
        samples: samplesFor(modelSpec, testFrames(4, 32, 32)),
      },
      split: 'test',
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const cancelling = {
      signal: controller.signal,
      progress: ({ done }: { done: number }) => {
        seen.push(done);
        if (done === 2) controller.abort();
      },
    };
    await expect(exportTfjs(request, cancelling)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toEqual([1, 2]);
    expect(existsSync(outDir)).toBe(false);
  }, 120_000);

  it('stock tfjs cannot load a Siamese model without the bundle’s loupe.js, and names the layer', async () => {
    const outDir = path.join(dir, 'bundle-Siamese-embedding-custom-L2-layer-');
    await expect(loadShardedModel(outDir, false)).rejects.toThrow(/LoupeL2Normalize/);
  });
});
