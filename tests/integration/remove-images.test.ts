/**
 * Removing images from a workspace: refused while a completed run trained on them unless asked
 * again; then their labels, masks (rows and PNG files) and thumbnails are gone, the source files
 * are byte for byte as before, the run keeps its record, and training sees the images no more.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thumbnailPath } from '../../ml/decode/thumbnail';
import type { Services } from '../../main/services/index';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { labelSegmentation } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('imaging.remove', () => {
  let dir: string;
  let workspace: string;
  let services: Services;
  let call: ReturnType<typeof caller>;
  let setup: ReviewWorkspace;
  let segmentationTask: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-remove-'));
    workspace = path.join(dir, 'ws');
    const real = realServices();
    services = real.services;
    call = caller(services, real.log);
    await call('workspace.open', { path: workspace, create: true });
    setup = await reviewWorkspace(call, dir);
    segmentationTask = await labelSegmentation(call, setup.scans);
  }, 600_000);
  afterAll(async () => {
    await services?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses images a completed run trained on, then removes them and what Loupe made for them only', async () => {
    const { items } = await call('imaging.list', { limit: 1000 });
    const victims = items.slice(0, 3);
    const ids = victims.map((i) => i.id);
    const sources = new Map(victims.map((i) => [i.path, sha256(i.path)]));
    await call('imaging.thumbnails', { ids });
    const thumbs = victims.map((i) => thumbnailPath(workspace, i.sha256));
    expect(thumbs.every((t) => existsSync(t))).toBe(true);
    const masksDir = path.join(workspace, 'masks');
    const maskFilesBefore = readdirSync(masksDir, { recursive: true }).filter((f) => String(f).endsWith('.png'));
    const recordBefore = (await call('training.run', { runId: setup.runId })).record;

    await expect(call('imaging.remove', { imageIds: ids })).rejects.toThrow(
      new RegExp(`Run ${setup.runId} trained on`),
    );
    expect((await call('imaging.list', { limit: 1000 })).items).toHaveLength(items.length);

    const reply = await call('imaging.remove', { imageIds: [...ids, 999_999], evenIfTrained: true });
    expect(reply).toMatchObject({ removed: 3, notFound: 1, maskFilesDeleted: 3, thumbnailsDeleted: 3 });
    expect(reply.trainedOn).toEqual([{ runId: setup.runId, images: 3 }]);

    // Gone from the workspace: rows, labels, masks and thumbnails.
    expect((await call('imaging.list', { limit: 1000 })).items.map((i) => i.id)).toEqual(
      items.slice(3).map((i) => i.id),
    );
    expect(thumbs.some((t) => existsSync(t))).toBe(false);
    const maskFilesAfter = readdirSync(masksDir, { recursive: true }).filter((f) => String(f).endsWith('.png'));
    expect(maskFilesAfter).toHaveLength(maskFilesBefore.length - 3);
    await expect(call('labels.get', { taskId: segmentationTask, imageId: ids[0]! })).rejects.toThrow();
    // Training no longer counts them.
    const defaults = await call('training.defaults', { taskId: setup.taskId });
    const counted = defaults.dataset.counts.train + defaults.dataset.counts.val + defaults.dataset.counts.test;
    expect(counted).toBe(items.length - 3);
    // Never the source files, and the run's record is as it was.
    for (const [file, hash] of sources) expect(sha256(file)).toBe(hash);
    expect((await call('training.run', { runId: setup.runId })).record).toEqual(recordBefore);
  });
});
