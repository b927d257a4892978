/**
 * `loupe train`, `loupe runs` and `loupe eval` as a user runs them, on a workspace of synthetic
 * scans prepared through the services: Ctrl+C cancels at a batch boundary (exit 130, resumable),
 * --resume finishes the run, eval writes predictions and metrics that agree with the run record,
 * and a segmentation run's masks come out as PNG files beside preds.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationFileSchema, type RunRecord, type RunSummary } from '../../contract/index';
import { LOUPE_BIN, REPO_ROOT, runCli } from '../helpers/cli';
import { importScans, labelClassification, labelSegmentation } from '../helpers/scan-workspace';
import { prepareWorkspace } from '../helpers/prepare-workspace';
import { requireBuild } from '../helpers/services';

const CLASSIFY_EPOCHS = 5;
/** A small, quick U-Net for 32 × 32 scans: this test checks files, not quality. */
const SEGMENT_CONFIG = {
  model: { architecture: 'unet', depth: 2, baseFilters: 8 },
  epochs: 2,
  augment: { rotationDegrees: 0 },
};

let dir: string;
let workspace: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-train-cli-'));
  workspace = path.join(dir, 'ws');
  await prepareWorkspace(workspace, async (call) => {
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 96, size: 32, seed: 21 });
    await labelClassification(call, scans, 'Lesion');
    await labelSegmentation(call, scans, 'Outline');
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runs(): Promise<RunSummary[]> {
  return runCli(['runs', '--workspace', workspace, '--json']).then((r) => JSON.parse(r.stdout) as RunSummary[]);
}

/** Starts `loupe train`, presses Ctrl+C once the first epoch is reported, and returns how it ended. */
function trainThenInterrupt(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOUPE_BIN, 'train', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /^epoch 1\/\d+ /m.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('loupe train / runs / eval', () => {
  let runId: string;

  it('trains with a progress line per epoch, and Ctrl+C cancels at a batch boundary (exit 130)', async () => {
    const { code, stderr } = await trainThenInterrupt([
      '--workspace',
      workspace,
      '--task',
      'Lesion',
      '--epochs',
      String(CLASSIFY_EPOCHS),
    ]);
    expect(stderr).toMatch(
      /Training small-cnn \(classification\) on “Lesion”: \d+ train, \d+ val, \d+ test images, 32×32\./,
    );
    expect(stderr).toContain('Cancelling');
    expect(code, stderr).toBe(130);
    const [run] = await runs();
    runId = run!.runId;
    expect(run!.state).toBe('cancelled');
    expect(run!.epochsDone).toBeGreaterThanOrEqual(1);
    expect(run!.epochsDone).toBeLessThan(CLASSIFY_EPOCHS);
    expect(stderr).toContain(`--resume ${runId}`);
  });

  it('resumes the cancelled run to completion', async () => {
    const result = await runCli(['train', '--workspace', workspace, '--resume', runId, '--json'], {
      timeoutMs: 120_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const finished = JSON.parse(result.stdout) as RunSummary;
    expect(finished).toMatchObject({ runId, state: 'completed', epochsDone: CLASSIFY_EPOCHS });
    const record = JSON.parse(readFileSync(path.join(workspace, 'runs', runId, 'run.json'), 'utf8')) as RunRecord;
    expect(record.epochs.map((e) => e.epoch)).toEqual([...Array(CLASSIFY_EPOCHS).keys()]);
    expect(existsSync(path.join(workspace, 'runs', runId, 'model', 'model-card.json'))).toBe(true);
  });

  it('evaluates the model on the test split: per-image probabilities and the run record’s metrics', async () => {
    const out = path.join(dir, 'preds.json');
    const result = await runCli(['eval', '--workspace', workspace, '--run', runId, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^accuracy [\d.]+ on \d+ test image\(s\)/);
    const preds = evaluationFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    const record = JSON.parse(readFileSync(path.join(workspace, 'runs', runId, 'run.json'), 'utf8')) as RunRecord;
    expect(preds).toMatchObject({ format: 'loupe-eval', task: 'classification', split: 'test', model: { runId } });
    expect(preds.classes).toEqual(['normal', 'lesion']);
    expect(preds.images).toHaveLength(record.dataset.splits.test.length);
    if (preds.metrics.task !== 'classification') throw new Error('expected a classification report');
    expect(preds.metrics.accuracy).toBeCloseTo((record.evaluation as { accuracy: number }).accuracy, 10);
    for (const image of preds.images) {
      if (!('probabilities' in image)) throw new Error('expected class probabilities');
      expect(image.probabilities[0]! + image.probabilities[1]!).toBeCloseTo(1, 5);
      expect(image.predictedClass).toBe(preds.classes[image.predicted]);
      expect(image.path).toMatch(/scan-\d{4}\.png$/);
    }
  });

  it('writes a segmentation run’s predicted masks as PNG files beside preds.json', async () => {
    const config = path.join(dir, 'segment.json');
    writeFileSync(config, JSON.stringify(SEGMENT_CONFIG));
    const trained = await runCli(
      ['train', '--workspace', workspace, '--task', 'Outline', '--config', config, '--json'],
      { timeoutMs: 120_000 },
    );
    expect(trained.code, trained.stderr).toBe(0);
    const run = JSON.parse(trained.stdout) as RunSummary;
    expect(run).toMatchObject({ architecture: 'unet', epochsDone: 2, state: 'completed' });
    const out = path.join(dir, 'masks', 'preds.json');
    const result = await runCli(['eval', '--workspace', workspace, '--run', run.runId, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const preds = evaluationFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(preds.classes).toEqual(['background', 'lesion']);
    const first = preds.images[0]!;
    if (!('maskPath' in first)) throw new Error('expected a mask');
    expect(first.maskPath).toBe(`preds-masks/image-${first.id}.png`);
    const png = decode(readFileSync(path.join(path.dirname(out), first.maskPath!)));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([32, 32, 1, 8]);
    expect(png.data.filter((v) => v === 1).length).toBe(first.classPixels[1]);
  });

  it('refuses a task that does not exist and a run id Loupe did not make', async () => {
    const missing = await runCli(['train', '--workspace', workspace, '--task', 'Nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/there is no task "Nope" in this workspace; its tasks are: Lesion, Outline\./);
    const bad = await runCli([
      'eval',
      '--workspace',
      workspace,
      '--run',
      '../../etc',
      '--out',
      path.join(dir, 'x.json'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/run id looks like/);
  });
});
