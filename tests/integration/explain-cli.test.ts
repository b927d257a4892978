/**
 * `loupe explain` and `loupe predict --explain` through the real CLI (bin/loupe.mjs) on a
 * workspace with a tiny classification run: the PNGs are at each image's own size (24 × 24 scans,
 * a 16 × 16 model input), explain.json carries every field, and its class, probability, peak and
 * trust measures, and the heatmap PNG's grey levels, equal what the engine's explain API returns
 * for the same image. Bad input gets a clear refusal.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainWriteReply } from '../../contract/index';
import { engineFrame } from '../../main/services/batch/batch-job';
import { runCli } from '../helpers/cli';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { labelSegmentation } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';
import { trainWithDefaults } from '../helpers/workspace-models';

/** The scans' side (review-workspace.ts); the model's input is 16 × 16. */
const SIDE = 24;
/** The engine runs the same model on the same pixels in another process: only float noise may differ. */
const TOLERANCE = 1e-5;
const CLI_TIMEOUT_MS = 300_000;

const { services, log } = realServices();
const call = caller(services, log);
let dir: string;
let workspace: string;
let setup: ReviewWorkspace;
let segmentationRun: string;
/** The classifier's feature-map layers, as the first explanation lists them. */
let layers: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-explain-cli-'));
  workspace = path.join(dir, 'ws');
  await call('workspace.open', { path: workspace, create: true });
  setup = await reviewWorkspace(call, dir);
  const segmentationTask = await labelSegmentation(call, setup.scans);
  segmentationRun = (await trainWithDefaults(call, segmentationTask, { epochs: 1 })).run.runId;
}, 600_000);
afterAll(async () => {
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function explain(args: string[]) {
  return runCli(['explain', '--workspace', workspace, '--run', setup.runId, ...args], { timeoutMs: CLI_TIMEOUT_MS });
}

async function pngInfo(file: string): Promise<{ width: number; height: number; channels: number; grey: number[] }> {
  const meta = await sharp(file).metadata();
  const grey = await sharp(file).extractChannel(0).raw().toBuffer();
  return { width: meta.width!, height: meta.height!, channels: meta.channels!, grey: Array.from(grey) };
}

describe('loupe explain', () => {
  it('writes a heatmap and an overlay at each image size and explain.json that agree with the engine', async () => {
    const out = path.join(dir, 'explained');
    const { code, stdout, stderr } = await explain(['--out', out, '--json']);
    expect(code, stderr).toBe(0);
    const reply = JSON.parse(stdout) as ExplainWriteReply;
    const written = JSON.parse(readFileSync(path.join(out, 'explain.json'), 'utf8')) as ExplainWriteReply & {
      format: string;
      weightsSha256: string;
    };
    expect(written).toMatchObject({ format: 'loupe-explain', runId: setup.runId, method: 'gradcam' });
    expect(written.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(written.images).toEqual(reply.images);
    const testSplit = await call('review.queue', {
      runId: setup.runId,
      source: { kind: 'split', split: 'test' },
      order: 'entropy',
    });
    expect(reply.images.map((i) => i.imageId).sort()).toEqual(testSplit.items.map((i) => i.imageId).sort());
    expect(reply.classes).toEqual(['normal', 'lesion']);
    layers = reply.layers!;
    expect(layers.at(-1)).toBe(reply.targetLayer);
    expect(layers.length).toBeGreaterThan(1);

    const modelDir = path.join(workspace, 'runs', setup.runId, 'model');
    for (const image of reply.images) {
      const heatmap = await pngInfo(path.join(out, image.heatmap));
      const overlay = await pngInfo(path.join(out, image.overlay));
      expect([heatmap.width, heatmap.height, heatmap.channels]).toEqual([SIDE, SIDE, 1]);
      expect([overlay.width, overlay.height, overlay.channels]).toEqual([SIDE, SIDE, 3]);
      expect([image.columns, image.rows]).toEqual([SIDE, SIDE]);
      expect(image.className).toBe(reply.classes[image.classIndex]);

      const frame = await services.imaging.pool.frame(image.path, 0);
      const engine = await services.engine.call('explain', {
        modelDir,
        frames: [engineFrame(frame)],
        method: 'gradcam',
        trust: true,
      });
      const e = engine.explanations[0]!;
      expect(image.peak).toEqual(e.peak);
      expect(image.classIndex).toBe(e.classIndex);
      expect(image.probability).toBeCloseTo(e.probability, 5);
      expect(Math.abs(image.deletionAuc - e.trust!.deletionAuc)).toBeLessThan(TOLERANCE);
      expect(Math.abs(image.insertionAuc - e.trust!.insertionAuc)).toBeLessThan(TOLERANCE);
      expect(Math.abs(image.sanityCorrelation - e.trust!.sanityCorrelation)).toBeLessThan(TOLERANCE);
      // The grey PNG is the engine's heatmap in 8 bits; its brightest pixel is the peak.
      heatmap.grey.forEach((g, i) => expect(Math.abs(g - 255 * e.heatmap[i]!)).toBeLessThanOrEqual(0.5 + TOLERANCE));
      expect(heatmap.grey[image.peak[1] * SIDE + image.peak[0]]).toBe(255);
    }
  }, 600_000);

  it(
    'explains files with another method, a named class and a named layer',
    async () => {
      const files = setup.scans.scans.slice(0, 3).map((s) => path.join(dir, 'scans', `${s.id}.png`));
      const out = path.join(dir, 'files');
      const { code, stdout, stderr } = await explain([
        '--images',
        ...files,
        '--method',
        'gradcam++',
        '--layer',
        layers[0]!,
        '--class',
        'Lesion',
        '--out',
        out,
        '--json',
      ]);
      expect(code, stderr).toBe(0);
      const reply = JSON.parse(stdout) as ExplainWriteReply;
      expect(reply.method).toBe('gradcam++');
      expect([reply.targetLayer, reply.layers]).toEqual([layers[0], layers]);
      expect(reply.images.map((i) => [i.path, i.imageId, i.className])).toEqual(files.map((f) => [f, null, 'lesion']));
      expect(readdirSync(path.join(out, 'overlays'))).toHaveLength(3);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'refuses an unknown run, an unknown class, a classifier-only method on a segmentation run and a folder that is not empty (unless --force)',
    async () => {
      const out = path.join(dir, 'refused');
      const unknownRun = await runCli(['explain', '--workspace', workspace, '--run', 'nope', '--out', out]);
      expect(unknownRun.code).toBe(2);
      expect(unknownRun.stderr).toContain('no run nope');

      const unknownClass = await explain(['--class', 'tumour', '--out', out]);
      expect(unknownClass.code).toBe(2);
      expect(unknownClass.stderr).toContain('its classes are: normal, lesion');

      const segmentation = await runCli(
        ['explain', '--workspace', workspace, '--run', segmentationRun, '--method', 'scorecam', '--out', out],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(segmentation.code).toBe(2);
      expect(segmentation.stderr).toContain(
        'segmentation model, explained with gradcam, gradcam++, layercam (Seg-Grad-CAM)',
      );
      expect(existsSync(out)).toBe(false);

      const unknownLayer = await explain(['--layer', 'no_such_layer', '--out', path.join(dir, 'layer-refused')]);
      expect(unknownLayer.code).toBe(2);
      expect(unknownLayer.stderr).toContain(
        'The layer "no_such_layer" is not a feature map of this model. Choose one of:',
      );

      const occupied = path.join(dir, 'occupied');
      mkdirSync(occupied);
      writeFileSync(path.join(occupied, 'notes.txt'), 'kept\n');
      const notEmpty = await explain(['--out', occupied]);
      expect(notEmpty.code).toBe(2);
      expect(notEmpty.stderr).toContain('--force');
      const forced = await explain(['--method', 'cam', '--out', occupied, '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(/^\d+ images? explained with cam; heatmaps, overlays and explain.json in /);
      expect(readFileSync(path.join(occupied, 'notes.txt'), 'utf8')).toBe('kept\n');
    },
    CLI_TIMEOUT_MS,
  );
});

describe('loupe explain on a segmentation run (Seg-Grad-CAM)', () => {
  it(
    'explains the largest predicted class over its predicted region, or says the whole image counted',
    async () => {
      const out = path.join(dir, 'segmented');
      const { code, stdout, stderr } = await runCli(
        ['explain', '--workspace', workspace, '--run', segmentationRun, '--split', 'train', '--out', out, '--json'],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(code, stderr).toBe(0);
      const reply = JSON.parse(stdout) as ExplainWriteReply;
      expect(reply.method).toBe('gradcam');
      expect(reply.images.length).toBeGreaterThan(0);
      for (const image of reply.images) {
        const region = image.region!;
        expect(region.wholeImage).toBe(region.pixels === 0);
        expect(image.probability).toBeGreaterThanOrEqual(0);
        expect(image.probability).toBeLessThanOrEqual(1);
        expect((await pngInfo(path.join(out, image.heatmap))).width).toBe(image.columns);
      }
    },
    CLI_TIMEOUT_MS,
  );
});

describe('loupe predict --explain', () => {
  it(
    'writes one heatmap per image, at its size, beside the predictions',
    async () => {
      const out = path.join(dir, 'predicted');
      const scans = path.join(dir, 'scans');
      const { code, stderr } = await runCli(
        [
          'predict',
          '--workspace',
          workspace,
          '--run',
          setup.runId,
          '--in',
          scans,
          '--out',
          out,
          '--explain',
          'gradcam',
        ],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(code, stderr).toBe(0);
      const heatmaps = readdirSync(path.join(out, 'heatmaps'));
      expect(heatmaps).toHaveLength(setup.scans.scans.length);
      for (const name of heatmaps.slice(0, 5)) {
        const info = await pngInfo(path.join(out, 'heatmaps', name));
        expect([info.width, info.height, info.channels]).toEqual([SIDE, SIDE, 1]);
        expect(Math.max(...info.grey)).toBe(255);
      }
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'refuses --explain for a model that is not a classifier',
    async () => {
      const { code, stderr } = await runCli(
        [
          'predict',
          '--workspace',
          workspace,
          '--run',
          segmentationRun,
          '--in',
          path.join(dir, 'scans'),
          '--out',
          path.join(dir, 'refused-predict'),
          '--explain',
          'gradcam',
        ],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(code).toBe(2);
      expect(stderr).toContain('Heatmaps (--explain');
      expect(stderr).toContain('are drawn for classification models');
      expect(stderr).toContain('this model does segmentation');
    },
    CLI_TIMEOUT_MS,
  );
});
