/**
 * A batch job's life through the services, as the Batch section drives it: start in the
 * background, cancel part-way, show as interrupted after a "restart" (its record says running,
 * its process is gone), resume, and end with exactly one results row per image and one manifest
 * line per file. The results pages are checked against the output folder's own files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_PAGE, type BatchJob, type ReplyOf } from '../../contract/index';
import { recordFile } from '../../main/services/batch/job-record';
import type { Services } from '../../main/services/index';
import { imageFolder, readManifestLines, trainTinyClassifier, type ImageFolder } from '../helpers/batch-predict';
import type { TrainedModel } from '../helpers/engine-training';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';
import { MAX_GROUP_FRAMES } from '../../main/services/batch/frame-inputs';
import { HEATMAPS_FOLDER } from '../../main/services/batch/heatmap-files';

/** Five of a tiny model's groups, so a cancel after the first group leaves work to resume. */
const IMAGES = 5 * MAX_GROUP_FRAMES;

let root: string;
let workspace: string;
let model: TrainedModel;
let folder: ImageFolder;
let services: Services;
let call: ReturnType<typeof caller>;
const events: BatchJob[] = [];

/** Resolves with the job's summary once an event says it is no longer running. */
function ended(jobId: string): Promise<BatchJob> {
  return new Promise((resolve) => {
    const off = services.bus.subscribe((name, payload) => {
      const { job } = payload as { job: BatchJob };
      if (name === 'batch.job' && job.jobId === jobId && job.state !== 'running') {
        off();
        resolve(job);
      }
    });
  });
}

/** Resolves once an event says the job has finished a file. */
function firstGroup(jobId: string): Promise<void> {
  return new Promise((resolve) => {
    const off = services.bus.subscribe((name, payload) => {
      const { job } = payload as { job: BatchJob };
      if (name === 'batch.job' && job.jobId === jobId && job.finished > 0) {
        off();
        resolve();
      }
    });
  });
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-jobs-'));
  workspace = path.join(root, 'ws');
  model = await trainTinyClassifier();
  folder = imageFolder(path.join(root, 'images'), IMAGES);
  const real = realServices();
  services = real.services;
  call = caller(services, real.log);
  services.bus.subscribe((name, payload) => {
    if (name === 'batch.job') events.push((payload as { job: BatchJob }).job);
  });
  await call('workspace.open', { path: workspace, create: true });
}, 600_000);
afterAll(async () => {
  await services?.dispose();
  rmSync(root, { recursive: true, force: true });
  if (model) rmSync(model.root, { recursive: true, force: true });
});

describe('batch jobs', () => {
  const out = () => path.join(root, 'out');
  let jobId: string;

  it('starts in the background and cancels part-way', async () => {
    const started = await call('batch.start', { model: { dir: model.modelDir }, inputs: [folder.root], out: out() });
    jobId = started.jobId;
    expect(started).toMatchObject({ state: 'running', active: true, task: 'classification', finished: 0 });
    expect(started.formats).toContain('jsonl');
    // A second job is refused while this one predicts.
    await expect(
      call('batch.start', { model: { dir: model.modelDir }, inputs: [folder.root], out: path.join(root, 'o2') }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });

    const end = ended(jobId);
    // Cancel as soon as the first group is in.
    await firstGroup(jobId);
    expect(await call('batch.cancel', { jobId })).toEqual({ cancelling: true });
    const cancelled = await end;
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.finished).toBeGreaterThan(0);
    expect(cancelled.finished).toBeLessThan(IMAGES + folder.unreadable.length);
    expect(cancelled.finished).toBe(readManifestLines(out()).length);
    const progress = events.filter((e) => e.jobId === jobId && e.state === 'running' && e.finished > 0);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.imagesPerSecond).toBeGreaterThan(0);
  }, 300_000);

  it('shows a job whose Loupe went away as interrupted', async () => {
    // A process that has exited: its pid names nobody (or, rarely reused, someone else's process).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const file = recordFile(workspace, jobId);
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...record, state: 'running', ownerPid: Number(gone) }));
    const { jobs } = await call('batch.jobs', {});
    expect(jobs.map((j) => [j.jobId, j.state, j.active])).toEqual([[jobId, 'interrupted', false]]);
  });

  it('resumes to exactly one row per image and one manifest line per file', async () => {
    const end = ended(jobId);
    const resumed = await call('batch.resume', { jobId });
    expect(resumed.state).toBe('running');
    const done = await end;
    expect(done).toMatchObject({ state: 'completed', finished: IMAGES + 2, failed: 2, total: IMAGES + 2 });

    const manifest = readManifestLines(out());
    expect(manifest).toHaveLength(IMAGES + 2);
    expect(new Set(manifest.map((m) => m.path)).size).toBe(IMAGES + 2);
    // Page by page, as the Batch section's table reads them.
    const first = await call('batch.results', { jobId, limit: MAX_BATCH_PAGE });
    expect(first.all).toBe(IMAGES + 2);
    const rows = [...first.rows];
    while (rows.length < first.all)
      rows.push(...(await call('batch.results', { jobId, offset: rows.length, limit: MAX_BATCH_PAGE })).rows);
    const predicted = rows.filter((r) => r.status === 'done').map((r) => r.path);
    expect(predicted.sort()).toEqual(folder.images);
    expect(rows.filter((r) => r.status === 'failed').map((r) => r.path)).toEqual(
      expect.arrayContaining(folder.unreadable.map((u) => u.path)),
    );
    const jsonl = readFileSync(path.join(out(), 'predictions.jsonl'), 'utf8').trimEnd().split('\n');
    expect(jsonl).toHaveLength(IMAGES);
  }, 300_000);

  it('sorts and filters the results in the services', async () => {
    const lines = readFileSync(path.join(out(), 'predictions.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; predicted: string; probabilities: Record<string, number> });
    const top = (l: (typeof lines)[number]) => Math.max(...Object.values(l.probabilities));
    const byScore = await call('batch.results', { jobId, sort: 'score', descending: true, failed: false, limit: 10 });
    expect(byScore.matching).toBe(IMAGES);
    const expected = [...lines].sort((a, b) => top(b) - top(a) || (a.path < b.path ? -1 : 1)).slice(0, 10);
    expect(byScore.rows.map((r) => r.path)).toEqual(expected.map((l) => l.path));
    expect(byScore.rows[0]!.score).toBeCloseTo(top(expected[0]!), 6);

    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l.predicted, (counts.get(l.predicted) ?? 0) + 1);
    expect(new Map(byScore.classCounts.map((c) => [c.name, c.count]))).toEqual(counts);
    for (const [name, count] of counts) {
      const only: ReplyOf<'batch.results'> = await call('batch.results', { jobId, predicted: name, limit: 1 });
      expect(only.matching).toBe(count);
      expect(only.histogram.reduce((a, b) => a + b, 0)).toBe(count);
    }
    const median = lines.map(top).sort((a, b) => a - b)[Math.floor(lines.length / 2)]!;
    const sure = await call('batch.results', { jobId, minScore: median, limit: 500 });
    expect(sure.matching).toBe(lines.filter((l) => top(l) >= median).length);
    expect(sure.rows.every((r) => r.score! >= median)).toBe(true);
    // Entropy of two probabilities is at most ln 2; nothing is above it.
    const uncertain = await call('batch.results', { jobId, minEntropy: Math.log(2) + 1e-9 });
    expect(uncertain.matching).toBe(0);
  });

  it('writes the heatmaps it was started with, and asks for them again on resume', async () => {
    const small = imageFolder(path.join(root, 'explain-images'), 2 * MAX_GROUP_FRAMES);
    const heatOut = path.join(root, 'out-heatmaps');
    const started = await call('batch.start', {
      model: { dir: model.modelDir },
      inputs: [small.root],
      out: heatOut,
      explain: 'gradcam',
    });
    expect(started).toMatchObject({ explain: 'gradcam', gallery: null });
    const cancelledEnd = ended(started.jobId);
    await firstGroup(started.jobId);
    await call('batch.cancel', { jobId: started.jobId });
    expect((await cancelledEnd).state).toBe('cancelled');
    // The output folder was begun with heatmaps: a resume without them would be refused.
    const end = ended(started.jobId);
    await call('batch.resume', { jobId: started.jobId });
    const done = await end;
    expect(done).toMatchObject({ state: 'completed', explain: 'gradcam', failed: 2 });
    const heatmaps = filesUnder(path.join(heatOut, HEATMAPS_FOLDER));
    expect(heatmaps).toHaveLength(small.images.length);
    // Named as the image is below its input folder, with its content's hash and frame (heatmaps/<name>.<sha>.f0.png).
    const named = heatmaps.map((f) => f.replace(/\.[0-9a-f]{8}\.f0\.png$/, '')).sort();
    expect(named).toEqual(small.images.map((f) => path.relative(small.root, f)).sort());
  }, 300_000);

  it('refuses options that do not fit the model before a job exists', async () => {
    const before = (await call('batch.jobs', {})).jobs.length;
    const refused = path.join(root, 'out-refused');
    await expect(
      call('batch.start', { model: { dir: model.modelDir }, inputs: [folder.root], out: refused, gallery: { k: 3 } }),
    ).rejects.toThrow(
      'Matching against a gallery (--gallery) is for verification models; this model does classification.',
    );
    await expect(
      call('batch.start', { model: { dir: model.modelDir }, inputs: [folder.root], out: refused, threshold: 0.5 }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await call('batch.jobs', {})).jobs).toHaveLength(before);
  });
});
