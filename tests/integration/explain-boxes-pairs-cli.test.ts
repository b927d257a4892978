/**
 * `loupe explain` on a detection run (a heatmap and an overlay per box) and a verification run
 * (a map on each image of each pair, the task's or `--pairs`), through the real CLI, checked
 * against the engine's `predict` (the same boxes, the same similarity) and its `explain` (the
 * heatmap PNG's grey levels); and the Review channels explain.reviewItems, explain.boxes and
 * explain.pair on the same runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainWriteReply } from '../../contract/index';
import { engineFrame } from '../../main/services/batch/batch-job';
import { boxPairRuns, MAX_BOXES, type BoxPairRuns } from '../helpers/box-pair-runs';
import { runCli } from '../helpers/cli';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';

const CLI_TIMEOUT_MS = 300_000;
/** The engine runs the same model on the same pixels in another process: only float noise may differ. */
const TOLERANCE = 1e-5;

const { services, log } = realServices();
const call = caller(services, log);
let dir: string;
let workspace: string;
let runs: BoxPairRuns;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-explain-boxes-pairs-'));
  workspace = path.join(dir, 'ws');
  await call('workspace.open', { path: workspace, create: true });
  runs = await boxPairRuns(call, dir);
}, 600_000);
afterAll(async () => {
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function explain(runId: string, args: string[]) {
  return runCli(['explain', '--workspace', workspace, '--run', runId, '--json', ...args], {
    timeoutMs: CLI_TIMEOUT_MS,
  });
}

async function grey(file: string): Promise<{ width: number; height: number; values: number[] }> {
  const meta = await sharp(file).metadata();
  const values = Array.from(await sharp(file).extractChannel(0).raw().toBuffer());
  return { width: meta.width!, height: meta.height!, values };
}

const modelDir = (runId: string) => path.join(workspace, 'runs', runId, 'model');

describe('loupe explain on a detection run', () => {
  it('writes a heatmap per box, on the boxes predict finds, equal to the engine’s maps', async () => {
    const out = path.join(dir, 'boxes');
    const { code, stdout, stderr } = await explain(runs.detectionRunId, ['--method', 'gradcam++', '--out', out]);
    expect(code, stderr).toBe(0);
    const reply = JSON.parse(stdout) as ExplainWriteReply;
    const written = JSON.parse(readFileSync(path.join(out, 'explain.json'), 'utf8')) as ExplainWriteReply;
    expect(written.boxes).toEqual(reply.boxes);
    expect(reply.images).toEqual([]);
    const test = await call('explain.reviewItems', { runId: runs.detectionRunId, split: 'test' });
    expect(reply.boxes!.map((i) => i.imageId)).toEqual(test.images.map((i) => i.imageId));
    let boxes = 0;
    for (const image of reply.boxes!) {
      const frame = await services.imaging.pool.frame(image.path, 0);
      const predicted = await services.engine.call('predict', {
        modelDir: modelDir(runs.detectionRunId),
        frames: [engineFrame(frame)],
      });
      const detections = (predicted.predictions[0] as { detections: { box: number[]; score: number }[] }).detections;
      expect(image.boxes.length).toBe(Math.min(MAX_BOXES, detections.length));
      const engine = await services.engine.call('explain', {
        modelDir: modelDir(runs.detectionRunId),
        frames: [engineFrame(frame)],
        method: 'gradcam++',
      });
      for (const [k, box] of image.boxes.entries()) {
        boxes += 1;
        box.box.forEach((v, j) => expect(v).toBeCloseTo(detections[k]!.box[j]!, 4));
        expect(box.score).toBeCloseTo(detections[k]!.score, 5);
        expect(box.className).toBe(reply.classes[box.classIndex]);
        const png = await grey(path.join(out, box.heatmap));
        expect([png.width, png.height]).toEqual([image.columns, image.rows]);
        const map = engine.boxes![0]!.boxes[k]!.heatmap;
        png.values.forEach((g, i) => expect(Math.abs(g - 255 * map[i]!)).toBeLessThanOrEqual(0.5 + TOLERANCE));
        expect((await sharp(path.join(out, box.overlay)).metadata()).channels).toBe(3);
      }
    }
    expect(boxes).toBeGreaterThan(0);
    expect(reply.targetLayer).toBeTruthy();

    // Without --method a detector's boxes are explained with LayerCAM, as the engine's default.
    const first = reply.boxes!.find((i) => i.boxes.length > 0)!;
    const plain = await explain(runs.detectionRunId, ['--images', first.path, '--out', path.join(dir, 'layercam')]);
    expect(plain.code, plain.stderr).toBe(0);
    const layercam = JSON.parse(plain.stdout) as ExplainWriteReply;
    expect(layercam.method).toBe('layercam');
    const engineDefault = await services.engine.call('explain', {
      modelDir: modelDir(runs.detectionRunId),
      frames: [engineFrame(await services.imaging.pool.frame(first.path, 0))],
    });
    expect(engineDefault.method).toBe('layercam');
    expect(layercam.boxes![0]!.boxes.map((b) => b.heatmapPeak)).toEqual(
      engineDefault.boxes![0]!.boxes.map((b) => b.heatmapPeak),
    );
  }, 600_000);

  it('refuses classifier-only methods, a class and pairs', async () => {
    const cam = await explain(runs.detectionRunId, ['--method', 'cam', '--out', path.join(dir, 'no1')]);
    expect(cam.code).toBe(2);
    expect(cam.stderr).toMatch(/explained with gradcam, gradcam\+\+, layercam; cam is for classifiers/);
    const named = await explain(runs.detectionRunId, ['--class', 'circle', '--out', path.join(dir, 'no2')]);
    expect(named.stderr).toMatch(/box by box/);
    const odd = await explain(runs.verificationRunId, ['--pairs', 'a.png', '--out', path.join(dir, 'no3')]);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toMatch(/two by two/);
  }, 120_000);
});

describe('loupe explain on a verification run', () => {
  it("explains the task's pairs and pairs of files, the similarity as predict scores it", async () => {
    const out = path.join(dir, 'pairs');
    const split = await explain(runs.verificationRunId, ['--split', 'test', '--out', out]);
    expect(split.code, split.stderr).toBe(0);
    const reply = JSON.parse(split.stdout) as ExplainWriteReply;
    expect(reply.method).toBe('gradcam');
    const items = await call('explain.reviewItems', { runId: runs.verificationRunId, split: 'test' });
    expect(reply.pairs!.map((p) => [p.a.imageId, p.b.imageId])).toEqual(items.pairs.map((p) => [p.imageA, p.imageB]));
    expect(reply.pairs!.length).toBeGreaterThan(0);

    const first = reply.pairs![0]!;
    const frames = [
      engineFrame(await services.imaging.pool.frame(first.a.path, 0)),
      engineFrame(await services.imaging.pool.frame(first.b.path, 0)),
    ];
    const scored = await services.engine.call('predict', {
      modelDir: modelDir(runs.verificationRunId),
      frames,
      pairs: [{ a: 0, b: 1 }],
    });
    expect(first.similarity).toBeCloseTo(scored.pairs![0]!.score, 5);
    expect(first.threshold).toBe(scored.threshold);
    expect(first.same).toBe(scored.pairs![0]!.same);
    const mapA = await grey(path.join(out, first.a.heatmap));
    expect([mapA.width, mapA.height]).toEqual([first.a.columns, first.a.rows]);
    // Bilinear sampling at pixel centres may miss the feature map's maximum, so the peak pixel is the brightest, not 255.
    expect(mapA.values[first.a.heatmapPeak[1] * first.a.columns + first.a.heatmapPeak[0]]).toBe(
      Math.max(...mapA.values),
    );

    const files = await explain(runs.verificationRunId, [
      '--pairs',
      first.b.path,
      first.a.path,
      '--out',
      path.join(dir, 'file-pairs'),
    ]);
    expect(files.code, files.stderr).toBe(0);
    const swapped = (JSON.parse(files.stdout) as ExplainWriteReply).pairs![0]!;
    expect(swapped.similarity).toBeCloseTo(first.similarity, 5);
    expect(swapped.a.imageId).toBeNull();
    expect(swapped.a.heatmapPeak).toEqual(first.b.heatmapPeak);
  }, 600_000);
});

describe('the Review channels for detection and verification runs', () => {
  it('explain one image’s boxes and one pair, with the card’s threshold', async () => {
    const items = await call('explain.reviewItems', { runId: runs.detectionRunId, split: 'test' });
    expect(items).toMatchObject({ kind: 'detection', threshold: null, pairs: [] });
    const boxes = await call('explain.boxes', { runId: runs.detectionRunId, imageId: items.images[0]!.imageId });
    for (const b of boxes.boxes) expect(b.heatmap.length).toBe(b.rows * b.columns);
    const pairs = await call('explain.reviewItems', { runId: runs.verificationRunId, split: 'test' });
    const { imageA, imageB } = pairs.pairs[0]!;
    const pair = await call('explain.pair', { runId: runs.verificationRunId, imageA, imageB });
    expect(pair.threshold).toBe(pairs.threshold);
    expect(pair.same).toBe(pair.similarity >= pair.threshold!);
    await expect(call('explain.pair', { runId: runs.detectionRunId, imageA, imageB })).rejects.toMatchObject({
      message: /needs a verification model/,
    });
  }, 300_000);
});
