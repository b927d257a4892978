/**
 * Pre-label and "Label next" for segmentation through the real services and engine, on a U-Net
 * trained for one epoch on the synthetic scans' lesion masks: the draft mask comes in the task's
 * own mask values at the image's size with its class pixels counted, nothing is saved, and the
 * unlabeled images are ordered by mean pixel entropy (spread over the model's penultimate-layer embeddings on request).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTask } from '../../contract/index';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { labelSegmentation } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';
import { trainWithDefaults } from '../helpers/workspace-models';

/** Most mean entropy two classes can have, ln 2 nats. */
const MAX_ENTROPY = Math.log(2);
const LIMIT = 8;

describe('pre-label masks and label next for segmentation', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let setup: ReviewWorkspace;
  let runId: string;
  /** A second segmentation task with a class of the run's name, a different colour and no masks. */
  let fresh: LabelTask;
  let imageIds: number[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-prelabel-masks-'));
    await call('workspace.open', { path: path.join(dir, 'ws'), create: true });
    setup = await reviewWorkspace(call, dir);
    const outline = await labelSegmentation(call, setup.scans);
    runId = (await trainWithDefaults(call, outline, { epochs: 1 })).run.runId;
    // Another class first, so the run's "lesion" has a different mask value here than where it trained.
    fresh = await call('labels.createTask', {
      name: 'Second outline',
      kind: 'segmentation',
      classes: [{ name: 'vessel' }, { name: 'Lesion' }],
    });
    imageIds = [...setup.scans.imageIds.values()].sort((a, b) => a - b);
  }, 600_000);
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("proposes a mask in the task's mask values at the image's size, and saves nothing", async () => {
    const lesion = fresh.classes.find((c) => c.name === 'Lesion')!;
    let marked = 0;
    for (const imageId of imageIds.slice(0, 4)) {
      const draft = await call('models.proposeMask', { runId, taskId: fresh.id, imageId });
      const scan = setup.scans.scans.find((s) => setup.scans.imageIds.get(s.id) === imageId)!;
      expect([draft.mask.width, draft.mask.height]).toEqual([scan.frame.columns, scan.frame.rows]);
      const values = new Set(draft.mask.data);
      for (const v of values) expect([0, lesion.maskIndex]).toContain(v);
      const pixels = draft.mask.data.filter((v) => v === lesion.maskIndex).length;
      expect(draft.classPixels).toEqual([{ classId: lesion.id, pixels }]);
      expect(draft.meanEntropy).toBeGreaterThanOrEqual(0);
      expect(draft.meanEntropy).toBeLessThanOrEqual(MAX_ENTROPY + 1e-9);
      marked += pixels;
    }
    console.log(`[prelabel] ${marked} lesion pixels drafted on 4 images`);
    const { images } = await call('labels.summary', { taskId: fresh.id });
    expect(images.filter((i) => i.labeled)).toEqual([]);
  });

  it('orders the unlabeled images by mean pixel entropy, and spreads them over the model embeddings', async () => {
    const next = await call('models.labelNext', { runId, taskId: fresh.id, limit: LIMIT, measure: 'margin' });
    expect(next).toMatchObject({ measure: 'mean pixel entropy', diversitySpace: null, considered: imageIds.length });
    expect(next.picks).toHaveLength(LIMIT);
    for (let i = 1; i < next.picks.length; i++)
      expect(next.picks[i - 1]!.entropy).toBeGreaterThanOrEqual(next.picks[i]!.entropy);
    for (const p of next.picks) {
      expect(p.margin).toBeNull();
      expect(p.score).toBe(p.entropy);
      expect(p.reason).toMatch(/^mean pixel entropy \d\.\d\d — the model is unsure of the mask; /);
      // The measure of the list is the draft's own.
      const draft = await call('models.proposeMask', { runId, taskId: fresh.id, imageId: p.imageId });
      expect(draft.meanEntropy).toBeCloseTo(p.entropy, 10);
    }
    const spread = await call('models.labelNext', { runId, taskId: fresh.id, limit: LIMIT, diversity: true });
    expect(spread.diversitySpace).toBe('penultimate-layer embeddings');
    expect(spread.picks[0]!.nearestImageId).toBeNull();
    expect(spread.picks.slice(1).every((p) => p.nearestImageId !== null && p.distance !== null)).toBe(true);
    expect(spread.picks[0]!.imageId).toBe(next.picks[0]!.imageId);
    expect(new Set(spread.picks.map((p) => p.imageId)).size).toBe(LIMIT);
  });
});
