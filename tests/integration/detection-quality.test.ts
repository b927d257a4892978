/**
 * Detection quality on generated data, trained through the engine's train method (the code path
 * the UI and CLI use) on the engine's CPU backend: a CenterNet head on the small CNN backbone,
 * trained from scratch on a few hundred images of four shape classes on textured 8- and 16-bit
 * backgrounds (tests/fixtures/detection-shapes.ts), must reach mAP@0.5 ≥ 0.80 on held-out images
 * after NMS. The trained model is then shared by the tests of evaluate, predict and the eval file.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateRequestSchema,
  evaluationFileSchema,
  explainRequestSchema,
  predictRequestSchema,
  type TrainingConfigInput,
} from '../../contract/index';
import { engineHandlers } from '../../ml/methods/index';
import { evaluateDetections } from '../../ml/metrics/detection';
import { readModelCard } from '../../base/model-folder-files';
import { evaluationFile } from '../../ml/train/evaluation-file';
import { detectionDataset, detectionFrame, detectionSet, SHAPE_CLASSES } from '../fixtures/detection-shapes';
import { engineContext, trainForQuality, TRAINING_TIMEOUT_MS, type TrainedModel } from '../helpers/engine-training';

/** The issue's quality target. */
const MIN_MAP50 = 0.8;
/**
 * Share of explained boxes whose own heatmap must peak inside them (the pointing game, per box),
 * at the default layer. Chance (a box's share of the image) is about 5 %. Grad-CAM's and
 * Grad-CAM++'s channel weights are one number per channel, so a map also lights the image's other
 * objects of similar shape: measured 29 % and 49 % (14 and 24 of 49 boxes). LayerCAM weights each
 * location by its own gradient, which for one box's logit lies around that box: measured 80 %
 * (39 of 49), and it is the detector's default.
 */
const MIN_POINTING = { gradcam: 0.2, 'gradcam++': 0.2, layercam: 0.6 } as const;

const dataset = detectionDataset({
  train: detectionSet({ count: 320, seed: 101 }),
  val: detectionSet({ count: 40, seed: 303 }),
  test: detectionSet({ count: 80, seed: 202 }),
});

const config: TrainingConfigInput = {
  task: 'detection',
  model: {
    architecture: 'centernet',
    backbone: { architecture: 'small-cnn', filters: [16, 32, 32] },
    headChannels: 32,
  },
  preprocessing: { rows: 64, columns: 64, intensity: { mode: 'dtype' } },
  loss: { name: 'centernet' },
  optimizer: { name: 'adam' },
  learningRate: 3e-3,
  schedule: { name: 'cosine', minLearningRate: 1.5e-4 },
  epochs: 10,
  batchSize: 16,
  seed: 1,
  augment: { flipHorizontal: 0.5 },
  monitor: { metric: 'val_map50', mode: 'max' },
};

const context = engineContext;

let root: string;
let trained: TrainedModel;
beforeAll(async () => {
  trained = await trainForQuality(
    'detection',
    dataset,
    config,
    (record) =>
      `epochs (loss/val mAP@0.5): ${record.epochs.map((e) => `${e.trainLoss.toFixed(3)}/${e.validation.val_map50?.toFixed(3)}`).join(' ')}`,
  );
  root = trained.root;
}, TRAINING_TIMEOUT_MS);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('detection through the engine on generated shapes', () => {
  it(`reaches mAP@0.5 ≥ ${MIN_MAP50} on the test split after NMS`, () => {
    const report = trained.record.evaluation!;
    if (report.task !== 'detection') throw new Error('expected a detection report');
    console.log(
      `[quality] detection: mAP@0.5 ${report.mAP50?.toFixed(3)} (${report.perClass.map((c) => `${c.className} ${c.ap50?.toFixed(3)}`).join(', ')}), ` +
        `mAP@[.5:.95] ${report.mAP?.toFixed(3)}, precision/recall at score ${report.atThreshold.scoreThreshold}: ${report.atThreshold.precision?.toFixed(3)}/${report.atThreshold.recall?.toFixed(3)}`,
    );
    expect(report.mAP50).toBeGreaterThanOrEqual(MIN_MAP50);
    expect(report.perClass.map((c) => c.className)).toEqual([...SHAPE_CLASSES]);
    // The defaults were filled in, recorded, saved in the card and measured with.
    expect(trained.card.detection).toEqual({
      scoreThreshold: 0.3,
      iouThreshold: 0.5,
      method: 'nms',
      sigma: 0.5,
      maxDetections: 100,
      classAgnostic: false,
      topK: 100,
    });
    expect(trained.record.config.detection).toEqual(trained.card.detection);
    expect(report.settings).toEqual(trained.card.detection);
  });

  it('evaluates with the settings in the card: boxes above the threshold after NMS per image, written to the eval file', async () => {
    const reply = await engineHandlers.evaluate(
      evaluateRequestSchema.parse({ modelDir: trained.modelDir, dataset, split: 'test' }),
      context(),
    );
    expect(reply.report).toEqual(trained.record.evaluation);
    expect(reply.predictions.map((p) => p.id)).toEqual(trained.record.dataset.splits.test);
    for (const { prediction } of reply.predictions) {
      if (!('detections' in prediction)) throw new Error('expected detections');
      expect(prediction.detections.every((d) => d.score >= 0.3)).toBe(true);
      expect(prediction.detections.map((d) => d.score)).toEqual(
        [...prediction.detections.map((d) => d.score)].sort((a, b) => b - a),
      );
    }
    const file = evaluationFile(reply, {
      modelDir: trained.modelDir,
      runId: trained.card.run.runId,
      classes: trained.card.classes,
      split: 'test',
    });
    const written = path.join(root, 'eval.json');
    writeFileSync(written, JSON.stringify(file));
    const back = evaluationFileSchema.parse(JSON.parse(readFileSync(written, 'utf8')));
    expect(back.metrics).toEqual(reply.report);
    const first = back.images[0]!;
    if (!('boxes' in first)) throw new Error('expected boxes in the eval file');
    expect(first.boxes.every((b) => SHAPE_CLASSES.includes(b.className as (typeof SHAPE_CLASSES)[number]))).toBe(true);
  });

  it('evaluates with soft-NMS for one call when asked, leaving the card as it was', async () => {
    const reply = await engineHandlers.evaluate(
      evaluateRequestSchema.parse({
        modelDir: trained.modelDir,
        dataset,
        split: 'test',
        detection: { method: 'soft-gaussian' },
      }),
      context(),
    );
    if (reply.report.task !== 'detection') throw new Error('expected a detection report');
    expect(reply.report.settings.method).toBe('soft-gaussian');
    console.log(
      `[quality] detection with Gaussian soft-NMS: mAP@0.5 ${reply.report.mAP50?.toFixed(3)}, mAP@[.5:.95] ${reply.report.mAP?.toFixed(3)}`,
    );
    expect(reply.report.mAP50).toBeGreaterThanOrEqual(MIN_MAP50);
    expect((await readModelCard(trained.modelDir)).detection?.method).toBe('nms');
  });

  it('predicts boxes on the pixels of larger frames (resized to the model input and back)', async () => {
    // The same scenes at 1.5× size: the model sees them at 64 × 64, the boxes come back at 96 × 96.
    const large = detectionSet({ count: 24, seed: 404, size: 96, objectSize: [15, 30] });
    const reply = await engineHandlers.predict(
      predictRequestSchema.parse({ modelDir: trained.modelDir, frames: large.map(detectionFrame) }),
      context(),
    );
    const images = large.map((sample, i) => {
      const prediction = reply.predictions[i]!;
      if (!('detections' in prediction)) throw new Error('expected detections');
      expect(prediction.detections.every((d) => d.box.every((v) => v >= 0 && v <= 96))).toBe(true);
      return { groundTruth: sample.objects, detections: prediction.detections };
    });
    const metrics = evaluateDetections(images, { classIds: SHAPE_CLASSES.map((_, k) => k) });
    console.log(`[quality] detection on 96 × 96 frames: mAP@0.5 ${metrics.mAP50?.toFixed(3)}`);
    // Measured 0.77; boxes not mapped back to the frame would score near 0.
    expect(metrics.mAP50).toBeGreaterThanOrEqual(0.6);
    const strict = await engineHandlers.predict(
      predictRequestSchema.parse({
        modelDir: trained.modelDir,
        frames: large.map(detectionFrame),
        detection: { scoreThreshold: 0.9 },
      }),
      context(),
    );
    const count = (r: typeof reply) =>
      r.predictions.reduce((n, p) => n + ('detections' in p ? p.detections.length : 0), 0);
    expect(count(strict)).toBeLessThan(count(reply));
  });

  it(`points each box's own heatmap inside that box for ≥ ${100 * MIN_POINTING.layercam} % of boxes with LayerCAM, its default (≥ ${100 * MIN_POINTING.gradcam} % with Grad-CAM)`, async () => {
    // Held-out scenes; each box is explained by its own heatmap logit, so its map should find its own object.
    const scenes = detectionSet({ count: 24, seed: 505 });
    const first = await engineHandlers.explain(
      explainRequestSchema.parse({ modelDir: trained.modelDir, frames: [detectionFrame(scenes[0]!)], maxBoxes: 1 }),
      context(),
    );
    expect(first.method).toBe('layercam');
    // The default (the backbone's last map) is held to the bound; a finer map is measured for the record.
    const layers = first.layers!.filter((l) => !l.startsWith('head_'));
    for (const targetLayer of [undefined, layers[Math.floor(layers.length / 2)]!])
      for (const method of ['gradcam', 'gradcam++', 'layercam'] as const) {
        const reply = await engineHandlers.explain(
          explainRequestSchema.parse({
            modelDir: trained.modelDir,
            frames: scenes.map(detectionFrame),
            method,
            ...(targetLayer ? { targetLayer } : {}),
          }),
          context(),
        );
        let boxes = 0;
        let inside = 0;
        let insideAny = 0;
        let area = 0;
        for (const frame of reply.boxes!) {
          for (const b of frame.boxes) {
            const [x, y] = b.heatmapPeak.map((v) => v + 0.5) as [number, number];
            const within = (box: readonly number[]) => x >= box[0]! && x <= box[2]! && y >= box[1]! && y <= box[3]!;
            boxes += 1;
            if (within(b.box)) inside += 1;
            if (frame.boxes.some((o) => within(o.box))) insideAny += 1;
            area += ((b.box[2] - b.box[0]) * (b.box[3] - b.box[1])) / (b.rows * b.columns);
          }
        }
        console.log(
          `[quality] detection pointing (${method}, layer ${reply.targetLayer}): ${inside} of ${boxes} boxes' heatmaps peak inside their own box, ${insideAny} inside some box; chance ≈ ${((100 * area) / boxes).toFixed(0)} %`,
        );
        expect(boxes).toBeGreaterThanOrEqual(scenes.length);
        if (!targetLayer) expect(inside / boxes).toBeGreaterThanOrEqual(MIN_POINTING[method]);
      }
  });
});
