/**
 * The Batch viewer's overlay for detection and segmentation jobs (batch.prediction): a segmenter's
 * mask equals the model's own mask on the file (the Predictor run here on the decoded frame), a
 * detector's boxes are the ones the job wrote to predictions.jsonl, and each class has a colour.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchJob, ParsedRequestOf } from '../../contract/index';
import type { Services } from '../../main/services/index';
import { decodeFile } from '../../ml/decode/index';
import { Predictor } from '../../ml/train/predictor';
import { detectionDataset, detectionSet } from '../fixtures/detection-shapes';
import { makeSyntheticScans, segmentationDataset } from '../fixtures/synthetic-scans';
import { DETECT_CONFIG, SEGMENT_CONFIG, SIDE } from '../helpers/batch-task-models';
import { trainForQuality, type TrainedModel } from '../helpers/engine-training';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';
import { writePng } from '../helpers/workspace-models';

let root: string;
let services: Services;
let call: ReturnType<typeof caller>;
const trained: TrainedModel[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-view-tasks-'));
  const real = realServices();
  services = real.services;
  call = caller(services, real.log);
  await call('workspace.open', { path: path.join(root, 'ws'), create: true });
});
afterAll(async () => {
  await services?.dispose();
  rmSync(root, { recursive: true, force: true });
  for (const t of trained) rmSync(t.root, { recursive: true, force: true });
});

/** Starts a batch job and resolves with it once it has ended. */
async function runJob(request: ParsedRequestOf<'batch.start'> | Omit<ParsedRequestOf<'batch.start'>, 'formats'>) {
  const ended = new Promise<BatchJob>((resolve) => {
    const off = services.bus.subscribe((name, payload) => {
      if (name !== 'batch.job') return;
      const { job } = payload as { job: BatchJob };
      if (job.state === 'running') return;
      off();
      resolve(job);
    });
  });
  await call('batch.start', request);
  const job = await ended;
  expect(job.state, job.error ?? '').toBe('completed');
  return job;
}

describe("the Batch viewer's overlay", () => {
  it("shows a segmenter's mask as the model predicts it, each class in a colour", async () => {
    const scans = makeSyntheticScans({ count: 24, size: SIDE, seed: 4 });
    const model = await trainForQuality('tiny U-Net for the batch viewer', segmentationDataset(scans), SEGMENT_CONFIG);
    trained.push(model);
    const input = path.join(root, 'seg-in');
    mkdirSync(input);
    const files = [0, 1, 2].map((i) => {
      const file = path.join(input, `scan-${i}.png`);
      writePng(file, { width: SIDE, height: SIDE, bitDepth: 16, pixels: scans[i]!.frame.data });
      return file;
    });
    const job = await runJob({ model: { dir: model.modelDir }, inputs: [input], out: path.join(root, 'seg-out') });
    const predictor = await Predictor.load(model.modelDir);
    try {
      for (const file of files) {
        const shown = await call('batch.prediction', { jobId: job.jobId, path: file, frame: 0 });
        expect(shown.classes.map((c) => c.name)).toEqual(job.classes);
        expect(shown.classes.every((c) => /^#[0-9a-f]{6}$/i.test(c.color))).toBe(true);
        expect(new Set(shown.classes.map((c) => c.color)).size).toBe(job.classes.length);
        expect(shown.boxes).toBeNull();
        const { frame } = await decodeFile(file);
        const [expected] = await predictor.predict([
          { ...frame, samplesPerPixel: 1, data: frame.data as Uint16Array<ArrayBuffer> },
        ]);
        if (!expected || !('mask' in expected)) throw new Error('expected a mask');
        expect(shown.mask).toMatchObject({ rows: expected.rows, columns: expected.columns });
        expect(Buffer.from(shown.mask!.data).equals(Buffer.from(expected.mask))).toBe(true);
      }
    } finally {
      predictor.dispose();
    }
    // Without mask files there is no mask to show; the row is still predicted.
    const jsonlOnly = await runJob({
      model: { dir: model.modelDir },
      inputs: [input],
      out: path.join(root, 'seg-out-jsonl'),
      formats: ['jsonl'],
    });
    expect(await call('batch.prediction', { jobId: jsonlOnly.jobId, path: files[0]!, frame: 0 })).toMatchObject({
      boxes: null,
      mask: null,
    });
  }, 600_000);

  it("shows a detector's boxes as the job wrote them", async () => {
    const samples = detectionSet({ count: 24, seed: 9, size: 32, objectSize: [6, 12] });
    const model = await trainForQuality(
      'tiny detector for the batch viewer',
      detectionDataset({ train: samples.slice(0, 16), val: samples.slice(16, 20), test: samples.slice(20) }),
      DETECT_CONFIG,
    );
    trained.push(model);
    const input = path.join(root, 'det-in');
    mkdirSync(input);
    samples.slice(20).forEach((s, i) =>
      writePng(path.join(input, `shapes-${i}.png`), {
        width: s.width,
        height: s.height,
        bitDepth: s.bitDepth,
        pixels: s.pixels,
      }),
    );
    // A barely trained detector: a low threshold so that there are boxes to compare.
    const job = await runJob({
      model: { dir: model.modelDir },
      inputs: [input],
      out: path.join(root, 'det-out'),
      threshold: 0.05,
    });
    type Line = { path: string; boxes: { class: string; score: number; box: number[] }[] };
    const lines = readFileSync(path.join(job.out, 'predictions.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    expect(lines).toHaveLength(4);
    let boxes = 0;
    for (const line of lines) {
      const shown = await call('batch.prediction', { jobId: job.jobId, path: line.path, frame: 0 });
      expect(shown.mask).toBeNull();
      expect(shown.boxes).toEqual(line.boxes.map((b) => ({ class: b.class, score: b.score, box: b.box })));
      boxes += line.boxes.length;
    }
    expect(boxes).toBeGreaterThan(0);
  }, 600_000);
});
