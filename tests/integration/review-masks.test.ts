/**
 * Review of a segmentation run through the real services and engine, on a U-Net trained for one
 * epoch on the synthetic scans' lesion masks: the queue (mean pixel entropy, Dice against the
 * label), one image's mask, contours and Seg-Grad-CAM, verdicts in the append-only trail, a
 * corrected mask written as the image's label only when confirmed and marked as coming from
 * review, and the exports listing the verdicts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOUR_LEVELS, type MaskLabel } from '../../contract/index';
import { parseCsv } from '../../main/services/csv';
import { caller } from '../helpers/labels';
import { importScans, labelSegmentation, type ScanWorkspace } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';
import { trainWithDefaults } from '../helpers/workspace-models';

/** Side of the square the test paints into the predicted mask as its correction. */
const PAINTED = 5;

describe('review of a segmentation run', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let workspace: string;
  let scans: ScanWorkspace;
  let taskId: number;
  let runId: string;
  let imageIds: number[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-review-masks-'));
    workspace = path.join(dir, 'ws');
    await call('workspace.open', { path: workspace, create: true });
    scans = await importScans(call, path.join(dir, 'scans'), { count: 16, size: 24, seed: 17 });
    taskId = await labelSegmentation(call, scans);
    runId = (await trainWithDefaults(call, taskId, { epochs: 1 })).run.runId;
    imageIds = [...scans.imageIds.values()].sort((a, b) => a - b);
  }, 600_000);
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues the images most uncertain first, with Dice against their labels', async () => {
    const queue = await call('reviewMasks.queue', { runId, source: { kind: 'images', imageIds } });
    expect(queue.taskId).toBe(taskId);
    expect(queue.items.map((i) => i.imageId).sort((a, b) => a - b)).toEqual(imageIds);
    const entropies = queue.items.map((i) => i.meanEntropy);
    expect(entropies).toEqual([...entropies].sort((a, b) => b - a));
    for (const item of queue.items) {
      expect(item.dice).not.toBeNull();
      expect(item.dice!).toBeGreaterThanOrEqual(0);
      expect(item.dice!).toBeLessThanOrEqual(1);
    }
    const byDice = await call('reviewMasks.queue', { runId, source: { kind: 'images', imageIds }, order: 'dice' });
    const dice = byDice.items.map((i) => i.dice!);
    expect(dice).toEqual([...dice].sort((a, b) => a - b));
    await expect(call('reviewMasks.queue', { runId, source: { kind: 'class', classId: 1 } })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it("shows one image's mask, its contours in source pixels and its Seg-Grad-CAM", async () => {
    const imageId = imageIds[0]!;
    const shown = await call('reviewMasks.image', { runId, imageId, method: 'gradcam' });
    const scan = scans.scans.find((s) => scans.imageIds.get(s.id) === imageId)!;
    const [width, height] = [scan.frame.columns, scan.frame.rows];
    expect([shown.mask.width, shown.mask.height]).toEqual([width, height]);
    expect(shown.classIndex).toBe(1);
    expect(shown.contours.map((c) => c.level)).toEqual([...CONTOUR_LEVELS]);
    for (const { segments } of shown.contours)
      segments.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(0.5);
        expect(v).toBeLessThanOrEqual((i % 2 === 0 ? width : height) - 0.5);
      });
    expect(shown.heatmap).not.toBeNull();
    expect([shown.heatmap!.columns, shown.heatmap!.rows]).toEqual([width, height]);
    expect(shown.heatmap!.trust).toBeNull();

    // Another method, and how far its map can be trusted (asked for: many more passes).
    const measured = await call('reviewMasks.image', { runId, imageId, method: 'layercam', trust: true });
    expect(measured.heatmap).toMatchObject({ method: 'layercam', targetLayer: shown.heatmap!.targetLayer });
    const trust = measured.heatmap!.trust!;
    for (const auc of [trust.deletionAuc, trust.insertionAuc]) expect(auc).toBeGreaterThanOrEqual(0);
    expect(Math.abs(trust.sanityCorrelation)).toBeLessThanOrEqual(1);
    expect(trust.sanityPassed).toBe(trust.sanityCorrelation < 0.5);
    expect(measured.heatmap!.probability).toBeGreaterThan(0);
  });

  it('records verdicts, and writes a corrected mask as a label from review only when confirmed', async () => {
    const imageId = imageIds[1]!;
    const before = await call('labels.get', { taskId, imageId });
    const predicted = (await call('reviewMasks.image', { runId, imageId })).mask;
    const correct: MaskLabel = { ...predicted, data: Uint8Array.from(predicted.data) };
    const lesion = Math.max(1, ...predicted.data);
    let changed = 0;
    for (let y = 0; y < PAINTED; y++)
      for (let x = 0; x < PAINTED; x++) {
        const p = y * correct.width + x;
        if (correct.data[p] !== lesion) changed++;
        correct.data[p] = lesion;
      }
    expect(changed).toBeGreaterThan(0);

    const agree = await call('reviewMasks.record', { runId, imageId: imageIds[0]!, verdict: 'agree' });
    expect(agree.correctMask).toBeNull();
    await expect(
      call('reviewMasks.record', { runId, imageId, verdict: 'unsure', correctMask: correct }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(
      call('reviewMasks.record', {
        runId,
        imageId,
        verdict: 'disagree',
        correctMask: { width: 2, height: 2, data: new Uint8Array(4) },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const disagree = await call('reviewMasks.record', {
      runId,
      imageId,
      verdict: 'disagree',
      comment: 'lesion reaches the corner',
      correctMask: correct,
    });
    expect(disagree.correctMask).toMatchObject({
      width: correct.width,
      height: correct.height,
      changedPixels: changed,
    });
    expect(disagree.prediction.kind).toBe('segmentation');
    // Recorded, not yet a label.
    expect((await call('labels.get', { taskId, imageId })).revision).toBe(before.revision);

    const applied = await call('reviewMasks.applyCorrection', { verdictId: disagree.id });
    expect(applied).toEqual({ taskId, imageId, revision: before.revision + 1 });
    const after = await call('labels.get', { taskId, imageId });
    expect(Array.from(after.mask!.data)).toEqual(Array.from(correct.data));
    expect(await call('reviewMasks.applyCorrection', { verdictId: disagree.id })).toEqual(applied);
    await expect(call('reviewMasks.applyCorrection', { verdictId: agree.id })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    const trail = (await call('reviewMasks.verdicts', { runId })).verdicts;
    expect(trail.map((v) => v.verdict)).toEqual(['agree', 'disagree']);
    expect(trail[1]!.correctionRevision).toBe(applied.revision);
    // The classification trail does not list them.
    expect((await call('review.verdicts', {})).verdicts).toEqual([]);

    const db = new Database(path.join(workspace, 'loupe.db'));
    try {
      expect(
        db
          .prepare('SELECT save_id FROM label_revisions WHERE task_id = ? AND image_id = ?')
          .pluck()
          .get(taskId, imageId),
      ).toBe(`review-${disagree.id}`);
      const rows = db.prepare('SELECT * FROM review_verdict_masks ORDER BY verdict_id').all();
      expect(rows.length).toBe(2);
      expect(() => db.prepare('UPDATE review_verdict_masks SET changed_pixels = 0').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM review_verdict_masks').run()).toThrow(/append-only/);
      expect(() =>
        db.prepare('INSERT OR REPLACE INTO review_verdict_masks SELECT * FROM review_verdict_masks').run(),
      ).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE review_verdicts SET verdict = 'agree'").run()).toThrow(/append-only/);
      expect(db.prepare('SELECT * FROM review_verdict_masks ORDER BY verdict_id').all()).toEqual(rows);
    } finally {
      db.close();
    }
  });

  it('exports the verdicts as CSV rows and as report rows with the mask outlined on the thumbnail', async () => {
    const out = path.join(dir, 'report');
    const csv = await call('review.export', { out, format: 'csv', runId });
    expect(csv.verdicts).toBe(2);
    const rows = parseCsv(readFileSync(csv.file, 'utf8'));
    const header = rows[0]!;
    const at = (row: string[], column: string) => row[header.indexOf(column)];
    expect(rows.slice(1).map((r) => [at(r, 'run_kind'), at(r, 'verdict')])).toEqual([
      ['segmentation', 'agree'],
      ['segmentation', 'disagree'],
    ]);
    expect(Number(at(rows[2]!, 'changed_pixels'))).toBeGreaterThan(0);
    expect(at(rows[2]!, 'correct_mask_sha256')).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(at(rows[2]!, 'label_revision'))).toBeGreaterThan(0);

    const html = readFileSync((await call('review.export', { out, format: 'html', runId })).file, 'utf8');
    expect(html).toContain(`Segmentation run ${runId}`);
    expect(html.match(/<svg class="mask-thumb"/g)?.length).toBe(2);
    expect(html).toMatch(/<path d="M[0-9 .L]+Z/);
    expect(html).toContain('mask corrected');
    expect(html).toContain('lesion reaches the corner');
  });
});
