/**
 * Opening a batch job's results in the Batch section's viewer, files not in the workspace
 * included: the pixels are the file's own (read here by fast-png), the heatmap of the predicted
 * class is the one the job wrote as a PNG (to its 8-bit rounding), and no path the job did not
 * predict can be read through these channels.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_PAGE, type BatchJob, type BatchResultRow } from '../../contract/index';
import { HEATMAPS_FOLDER } from '../../main/services/batch/heatmap-files';
import type { Services } from '../../main/services/index';
import { imageFolder, trainTinyClassifier, type ImageFolder } from '../helpers/batch-predict';
import type { TrainedModel } from '../helpers/engine-training';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';

let root: string;
let model: TrainedModel;
let folder: ImageFolder;
let services: Services;
let call: ReturnType<typeof caller>;
let job: BatchJob;
let rows: BatchResultRow[];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-view-'));
  model = await trainTinyClassifier();
  folder = imageFolder(path.join(root, 'images'), 12);
  const real = realServices();
  services = real.services;
  call = caller(services, real.log);
  // An empty workspace: none of the predicted files is in it.
  await call('workspace.open', { path: path.join(root, 'ws'), create: true });
  const ended = new Promise<BatchJob>((resolve) =>
    services.bus.subscribe((name, payload) => {
      if (name !== 'batch.job') return;
      const { job: j } = payload as { job: BatchJob };
      if (j.state !== 'running') resolve(j);
    }),
  );
  await call('batch.start', {
    model: { dir: model.modelDir },
    inputs: [folder.root],
    out: path.join(root, 'out'),
    explain: 'layercam',
  });
  job = await ended;
  rows = (await call('batch.results', { jobId: job.jobId, limit: MAX_BATCH_PAGE, failed: false })).rows;
}, 600_000);
afterAll(async () => {
  await services?.dispose();
  rmSync(root, { recursive: true, force: true });
  if (model) rmSync(model.root, { recursive: true, force: true });
});

/** The heatmap PNG the job wrote for a row's file (heatmaps/<relative>.<sha8>.f<frame>.png). */
function writtenHeatmap(row: BatchResultRow): Uint16Array | Uint8Array {
  const dir = path.join(job.out, HEATMAPS_FOLDER, path.dirname(row.relative));
  const name = readdirSync(dir).find(
    (n) => n.startsWith(`${path.basename(row.relative)}.`) && n.endsWith(`.f${row.frame}.png`),
  )!;
  return decode(readFileSync(path.join(dir, name))).data as Uint8Array;
}

describe('the Batch viewer on files not in the workspace', () => {
  it('gives the pixels of the file itself', async () => {
    expect(job.state).toBe('completed');
    expect(rows.length).toBe(folder.images.length);
    expect(rows.every((r) => r.imageId === null)).toBe(true);
    const row = rows[0]!;
    const file = await call('batch.file', { jobId: job.jobId, path: row.path });
    const png = decode(readFileSync(row.path));
    expect(file.fileName).toBe(path.basename(row.path));
    expect(file.info).toMatchObject({ rows: png.height, columns: png.width, frames: 1 });
    const frame = await call('batch.frame', { jobId: job.jobId, path: row.path, frame: 0 });
    expect(frame).toMatchObject({ id: 0, frame: 0, rows: png.height, columns: png.width });
    expect([...frame.data]).toEqual([...png.data]);
    // A frame asked for before its file was opened: read whole, the same pixels.
    const other = await call('batch.frame', { jobId: job.jobId, path: rows[1]!.path, frame: 0 });
    expect([...other.data]).toEqual([...decode(readFileSync(rows[1]!.path)).data]);
    // A classifier's overlay is its heatmap (below): no boxes, no mask.
    expect(await call('batch.prediction', { jobId: job.jobId, path: row.path, frame: 0 })).toMatchObject({
      boxes: null,
      mask: null,
    });
  });

  it("draws the heatmap the job wrote, with the job's method and predicted class", async () => {
    for (const row of rows.slice(0, 4)) {
      const heat = await call('batch.explain', { jobId: job.jobId, path: row.path, frame: row.frame });
      expect(heat.method).toBe('layercam');
      expect(heat.className).toBe(row.predicted);
      expect(heat.probability).toBeCloseTo(row.score!, 5);
      const written = writtenHeatmap(row);
      expect(written.length).toBe(heat.rows * heat.columns);
      let worst = 0;
      heat.heatmap.forEach((v, i) => (worst = Math.max(worst, Math.abs(v * 255 - written[i]!))));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('lists the files outside the workspace, and knows them as workspace images once imported', async () => {
    const before = await call('batch.results', { jobId: job.jobId, failed: false });
    expect(before.imageIds).toEqual([]);
    expect([...before.outside].sort()).toEqual(folder.images);
    const report = await call('imaging.import', { paths: [rows[0]!.path] });
    const imageId = report.files[0]!.imageId!;
    const after = await call('batch.results', { jobId: job.jobId, failed: false, limit: MAX_BATCH_PAGE });
    expect(after.imageIds).toEqual([imageId]);
    expect(after.outside).not.toContain(rows[0]!.path);
    expect(after.rows.find((r) => r.path === rows[0]!.path)!.imageId).toBe(imageId);
    // Removed again: the row is a file outside the workspace once more.
    await call('imaging.remove', { imageIds: [imageId] });
    const removed = await call('batch.results', { jobId: job.jobId, failed: false });
    expect(removed.imageIds).toEqual([]);
    expect(removed.outside).toContain(rows[0]!.path);
  });

  it('reads no file the job did not predict', async () => {
    const notPredicted = [folder.unreadable[0]!.path, path.join(root, 'ws', 'loupe.db'), '/etc/passwd'];
    for (const file of notPredicted) {
      await expect(call('batch.frame', { jobId: job.jobId, path: file, frame: 0 })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(call('batch.explain', { jobId: job.jobId, path: file, frame: 0 })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    }
    await expect(
      call('batch.file', { jobId: job.jobId, path: rows[0]!.path + '/../' + path.basename(rows[0]!.path) + 'x' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(call('batch.frame', { jobId: job.jobId, path: rows[0]!.path, frame: 1 })).rejects.toThrow(
      'is not among the files batch',
    );
  });
});
