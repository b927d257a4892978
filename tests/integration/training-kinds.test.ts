/**
 * Detection and verification tasks trained from a workspace through the training service, as the
 * UI and CLI do it: generated shapes with their boxes saved through labels.save, generated part
 * views with same/different verdicts saved through labels.addPair, split through the labels
 * service, then the proposed defaults (fewer epochs: this checks the path, the engine's quality
 * tests check how well these models learn), a completed run, and an evaluation of its model.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingConfig } from '../../contract/index';
import { runFolder } from '../../main/services/training/run-store';
import { PAIR_IN_TWO_SPLITS } from '../../main/services/training/verification-dataset';
import { readModelCard } from '../../base/model-folder-files';
import { detectionSet, SHAPE_CLASSES } from '../fixtures/detection-shapes';
import { partSet } from '../fixtures/verification-parts';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';

/** Enough to finish a run and score its model; not to learn well. */
const EPOCHS = 2;

function writePng(
  file: string,
  image: { width: number; height: number; bitDepth: 8 | 16; pixels: Uint8Array | Uint16Array },
): void {
  writeFileSync(
    file,
    encode({ width: image.width, height: image.height, data: image.pixels, depth: image.bitDepth, channels: 1 }),
  );
}

describe('detection and verification runs from a workspace', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-kinds-'));
    await call('workspace.open', { path: path.join(dir, 'ws'), create: true });
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  async function importFolder(folder: string): Promise<Map<string, number>> {
    await call('imaging.import', { paths: [folder] });
    const { items } = await call('imaging.list', { limit: 1000 });
    return new Map(items.map((item) => [item.fileName, item.id]));
  }

  async function trainAndEvaluate(taskId: number, adjust: (config: TrainingConfig) => TrainingConfig = (c) => c) {
    const defaults = await call('training.defaults', { taskId });
    const run = await call('training.start', { taskId, config: adjust({ ...defaults.config, epochs: EPOCHS }) });
    const finished = await call('training.watch', { runId: run.runId });
    expect(finished.state, finished.error ?? '').toBe('completed');
    const evaluation = await call('training.evaluate', { runId: run.runId, split: 'test' });
    return { defaults, finished, evaluation, runId: run.runId };
  }

  it('trains a CenterNet detector on boxes saved in the workspace and scores its detections', async () => {
    const folder = path.join(dir, 'shapes');
    mkdirSync(folder);
    const samples = detectionSet({ count: 40, seed: 7, size: 64 });
    samples.forEach((s, i) => writePng(path.join(folder, `shape-${i}.png`), s));
    const ids = await importFolder(folder);
    const task = await call('labels.createTask', {
      name: 'Shapes',
      kind: 'detection',
      classes: SHAPE_CLASSES.map((name) => ({ name })),
    });
    for (const [i, sample] of samples.entries()) {
      const boxes = sample.objects.map(({ box, classId }) => ({
        classId: task.classes[classId]!.id,
        x1: box[0],
        y1: box[1],
        x2: box[2],
        y2: box[3],
      }));
      await call('labels.save', {
        taskId: task.id,
        imageId: ids.get(`shape-${i}.png`)!,
        saveId: `s${i}`,
        baseRevision: 0,
        boxes,
      });
    }
    await call('labels.assignSplits', {
      taskId: task.id,
      fractions: { train: 0.6, val: 0.2, test: 0.2 },
      groupBy: { kind: 'image' },
      seed: 2,
    });

    const { defaults, finished, evaluation } = await trainAndEvaluate(task.id);
    expect(defaults.config.model.architecture).toBe('centernet');
    // The post-processing the run form shows and the card will keep, filled in by the defaults.
    expect(defaults.config.detection).toMatchObject({
      scoreThreshold: 0.3,
      iouThreshold: 0.5,
      method: 'nms',
      maxDetections: 100,
    });
    expect(defaults.dataset.classes).toEqual([...SHAPE_CLASSES]);
    expect(finished.test?.metric).toBe('mAP50');
    expect(evaluation.report.task).toBe('detection');
    expect(evaluation.predictions.length).toBe(evaluation.report.count);
    expect(evaluation.predictions.every((p) => 'detections' in p.prediction)).toBe(true);
  });

  it('trains a Siamese verifier on same/different pairs and keeps pairs inside one split', async () => {
    const folder = path.join(dir, 'parts');
    mkdirSync(folder);
    const views = partSet({ identities: 16, viewsPerIdentity: 4, seed: 3 });
    const name = (v: number) => `part${views[v]!.identity}-view${v % 4}.png`;
    views.forEach((view, v) => writePng(path.join(folder, name(v)), view));
    const ids = await importFolder(folder);
    const task = await call('labels.createTask', { name: 'Same part', kind: 'verification' });
    const pair = (a: number, b: number, same: boolean) =>
      call('labels.addPair', { taskId: task.id, imageA: ids.get(name(a))!, imageB: ids.get(name(b))!, same });
    for (let v = 0; v < views.length; v++) {
      // Each view with the next view of its part (same); the first view of each part with the first two of every other (different).
      if (v % 4 !== 3) await pair(v, v + 1, true);
      if (v % 4 === 0)
        for (let w = v + 4; w < views.length; w += 4) for (const k of [0, 1]) await pair(v, w + k, false);
    }
    // Whole parts per split, so a part seen in training is never tested.
    await call('labels.assignSplits', {
      taskId: task.id,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      groupBy: { kind: 'filename', pattern: '^(part\\d+)-' },
      seed: 4,
    });

    // A target FAR other than the default, to see it reach the model card and decide the threshold.
    const targetFar = 0.1;
    const { defaults, finished, evaluation, runId } = await trainAndEvaluate(task.id, (c) => ({
      ...c,
      verification: { ...c.verification!, targetFar },
    }));
    expect(defaults.config.model.architecture).toBe('siamese');
    expect(defaults.config.verification?.targetFar).toBe(0.01);
    expect(defaults.dataset.classes).toEqual([]);
    expect(defaults.dataset.pairs).toBeGreaterThan(0);
    expect(
      defaults.dataset.skipped.find((s) => s.reason === 'pairs whose two images are in different splits')?.count,
    ).toBeGreaterThan(0);
    // The verification report: labelled pairs per split, and the pairs left out with why.
    const report = defaults.dataset.verification!;
    expect(report).toMatchObject({ source: 'pairs', identities: null, sharedIdentities: 0 });
    const used = (['train', 'val', 'test'] as const).reduce(
      (n, split) => n + report.pairs!.same[split] + report.pairs!.different[split],
      0,
    );
    expect(used).toBe(defaults.dataset.pairs);
    expect(report.pairs!.same.train).toBeGreaterThan(0);
    expect(report.skippedPairs).toEqual([
      {
        reason: PAIR_IN_TWO_SPLITS,
        pairs: defaults.dataset.skipped.find((s) => s.reason === 'pairs whose two images are in different splits')!
          .count,
      },
    ]);
    expect(finished.test?.metric).toBe('EER');
    if (evaluation.report.task !== 'verification') throw new Error('expected a verification report');
    expect(evaluation.report.pairSource).toBe('pairs');
    expect(evaluation.pairs!.length).toBe(evaluation.report.genuinePairs + evaluation.report.impostorPairs);
    const testImages = new Set(evaluation.predictions.map((p) => p.imageId));
    expect(evaluation.pairs!.every((p) => testImages.has(p.imageA) && testImages.has(p.imageB))).toBe(true);

    const card = await readModelCard(path.join(runFolder(path.join(dir, 'ws'), runId), 'model'));
    expect(card.verification).toMatchObject({ targetFar, chosenOn: 'val' });
    expect(card.verification!.far).toBeLessThanOrEqual(targetFar);
    expect(evaluation.report.decision).toMatchObject({ targetFar, threshold: card.verification!.threshold });
    // Re-scoring validation with the card's threshold gives the FAR and TAR the card recorded.
    const val = await call('training.evaluate', { runId, split: 'val' });
    if (val.report.task !== 'verification') throw new Error('expected a verification report');
    expect(val.report.decision.far).toBeCloseTo(card.verification!.far, 9);
    expect(val.report.decision.tar).toBeCloseTo(card.verification!.tar, 9);
    expect(val.report.decision.far!).toBeLessThanOrEqual(targetFar);
  });
});
