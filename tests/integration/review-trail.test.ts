/**
 * Review through the real services and engine: a queue of a tiny classification run's test split
 * in each order, verdicts appended (a changed verdict is a new row, the latest is current), a
 * confirmed correction written as the task's label and marked as from review, the audit trail
 * refusing UPDATE and DELETE at the SQLite level, and the CSV / HTML export (also through
 * `loupe review export`), with identifiers left out unless asked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCard, ReplyOf } from '../../contract/index';
import { applyTemperature } from '../../ml/metrics/calibration';
import { parseCsv } from '../../main/services/csv';
import { runCli } from '../helpers/cli';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { realServices } from '../helpers/services';
import { check, expectQueueMeasures } from './review-trail-checks';

describe('review: queue, verdicts, corrections, audit trail and export', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let workspace: string;
  let setup: ReviewWorkspace;
  let queue: ReplyOf<'review.queue'>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-review-'));
    workspace = path.join(dir, 'ws');
    await call('workspace.open', { path: workspace, create: true });
    setup = await reviewWorkspace(call, dir);
  }, 600_000);
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('orders the test split by entropy, margin, score and disagreement with the label', async () => {
    const { splits } = await call('labels.splitCounts', { taskId: setup.taskId });
    queue = await call('review.queue', {
      runId: setup.runId,
      source: { kind: 'split', split: 'test' },
      order: 'entropy',
    });
    expect(queue.items.length).toBe(splits.find((s) => s.split === 'test')!.images);
    expect(queue.items.length).toBeGreaterThan(2);
    expect(queue.classes.map((c) => c.name)).toEqual(['normal', 'lesion']);
    expect(queue.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    check(queue.items, (i) => i.entropy);
    expectQueueMeasures(queue);
    check(
      (await call('review.queue', { runId: setup.runId, source: { kind: 'split', split: 'test' }, order: 'margin' }))
        .items,
      (i) => -i.margin,
    );
    check(
      (await call('review.queue', { runId: setup.runId, source: { kind: 'split', split: 'test' }, order: 'score' }))
        .items,
      (i) => i.score,
    );
    const byDisagreement = (
      await call('review.queue', {
        runId: setup.runId,
        source: { kind: 'split', split: 'test' },
        order: 'disagreement',
      })
    ).items;
    check(byDisagreement, (i) => Number(i.disagrees));
  });

  it('appends verdicts, keeps the latest as current, and writes a confirmed correction as a label from review', async () => {
    const [first, second] = queue.items;
    const settings = await call('review.settings', { reviewer: 'Dr. Ada Example' });
    expect(settings).toEqual({ reviewer: 'Dr. Ada Example', isDefault: false });
    const agree = await call('review.record', { runId: setup.runId, imageId: first!.imageId, verdict: 'agree' });
    expect(agree).toMatchObject({
      reviewer: 'Dr. Ada Example',
      verdict: 'agree',
      prediction: first!.prediction,
      method: 'prediction',
      correctClass: null,
    });
    const sha = (await call('imaging.get', { id: first!.imageId })).record.sha256;
    expect(agree.imageSha256).toBe(sha);
    expect(agree.weightsSha256).toBe(queue.weightsSha256);

    const wrongClass = queue.classes[first!.prediction.predicted === 0 ? 1 : 0]!;
    const disagree = await call('review.record', {
      runId: setup.runId,
      imageId: first!.imageId,
      verdict: 'disagree',
      correctClassId: wrongClass.classId!,
      comment: 'margin, "see" prior',
    });
    await call('review.record', { runId: setup.runId, imageId: second!.imageId, verdict: 'unsure', comment: 'motion' });
    const trail = (await call('review.verdicts', { runId: setup.runId })).verdicts;
    expect(trail.map((v) => v.verdict)).toEqual(['agree', 'disagree', 'unsure']);
    const requeued = await call('review.queue', {
      runId: setup.runId,
      source: { kind: 'images', imageIds: [first!.imageId] },
    });
    expect(requeued.items[0]!.verdict!.id).toBe(disagree.id);

    const before = await call('labels.get', { taskId: setup.taskId, imageId: first!.imageId });
    const applied = await call('review.applyCorrection', { verdictId: disagree.id });
    expect(applied).toEqual({
      taskId: setup.taskId,
      imageId: first!.imageId,
      revision: before.revision + 1,
      classIds: [wrongClass.classId],
    });
    expect((await call('labels.get', { taskId: setup.taskId, imageId: first!.imageId })).classIds).toEqual([
      wrongClass.classId,
    ]);
    // Applying again (a retry) writes nothing more.
    expect(await call('review.applyCorrection', { verdictId: disagree.id })).toEqual(applied);
    expect((await call('review.verdicts', { runId: setup.runId })).verdicts[1]!.correctionRevision).toBe(
      applied.revision,
    );
    const db = new Database(path.join(workspace, 'loupe.db'), { readonly: true });
    try {
      expect(
        db
          .prepare('SELECT save_id FROM label_revisions WHERE task_id = ? AND image_id = ?')
          .pluck()
          .get(setup.taskId, first!.imageId),
      ).toBe(`review-${disagree.id}`);
    } finally {
      db.close();
    }
    await expect(call('review.applyCorrection', { verdictId: agree.id })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    // A correction the reviewer took back (a later verdict on the image) cannot become a label.
    const takenBack = await call('review.record', {
      runId: setup.runId,
      imageId: second!.imageId,
      verdict: 'disagree',
      correctClassId: wrongClass.classId!,
    });
    await call('review.record', { runId: setup.runId, imageId: second!.imageId, verdict: 'unsure' });
    await expect(call('review.applyCorrection', { verdictId: takenBack.id })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('refuses to change or delete a verdict, even in SQL', () => {
    const db = new Database(path.join(workspace, 'loupe.db'));
    try {
      const rows = db.prepare('SELECT * FROM review_verdicts ORDER BY id').all();
      expect(rows.length).toBe(5);
      expect(() => db.prepare("UPDATE review_verdicts SET verdict = 'agree'").run()).toThrow(/append-only/);
      expect(() => db.prepare('UPDATE review_verdicts SET comment = ? WHERE id = 2').run('edited')).toThrow(
        /append-only/,
      );
      expect(() => db.prepare('DELETE FROM review_verdicts WHERE id = 1').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM review_corrections').run()).toThrow(/append-only/);
      expect(() =>
        db.prepare('INSERT OR REPLACE INTO review_verdicts SELECT * FROM review_verdicts WHERE id = 1').run(),
      ).toThrow(/append-only/);
      expect(() =>
        db
          .prepare(
            "REPLACE INTO review_corrections SELECT verdict_id, task_id, image_id, revision + 1, 'now' FROM review_corrections",
          )
          .run(),
      ).toThrow(/append-only/);
      expect(db.prepare('SELECT * FROM review_verdicts ORDER BY id').all()).toEqual(rows);
    } finally {
      db.close();
    }
  });

  it('exports the trail as CSV and as a self-contained HTML report, identifiers only when asked', async () => {
    const out = path.join(dir, 'report');
    const csv = await call('review.export', { out, format: 'csv' });
    expect(csv.verdicts).toBe(5);
    const rows = parseCsv(readFileSync(csv.file, 'utf8'));
    expect(rows.length).toBe(6);
    expect(rows[0]).not.toContain('patient_id');
    const header = rows[0]!;
    const at = (row: string[], column: string) => row[header.indexOf(column)];
    expect(rows.slice(1).map((r) => at(r, 'verdict'))).toEqual(['agree', 'disagree', 'unsure', 'disagree', 'unsure']);
    expect(at(rows[2]!, 'comment')).toBe('margin, "see" prior');
    expect(at(rows[2]!, 'reviewer')).toBe('Dr. Ada Example');
    expect(Number(at(rows[2]!, 'label_revision'))).toBeGreaterThan(0);

    const withIds = await call('review.export', {
      out: path.join(dir, 'with-ids'),
      format: 'csv',
      includeIdentifiers: true,
    });
    expect(parseCsv(readFileSync(withIds.file, 'utf8'))[0]).toContain('patient_id');

    const html = readFileSync((await call('review.export', { out, format: 'html' })).file, 'utf8');
    expect(html.match(/<img src="data:image\/webp;base64,/g)?.length).toBe(5);
    expect(html).not.toMatch(/<script|src="(?!data:)|href=/);
    expect(html).toContain('@media print');
    // Current verdicts: one disagree, one unsure → agreement 0 of 1.
    expect(html).toContain('0.0 % (0 agree, 1 disagree, 1 unsure, of 2 images)');
    expect(html).toContain('margin, &quot;see&quot; prior');
    expect(html).not.toContain('DICOM identifiers</th>');
  });

  it('measures calibration on the validation split, fits a temperature into the model card, and the queue shows scaled probabilities', async () => {
    const { splits } = await call('labels.splitCounts', { taskId: setup.taskId });
    const measured = await call('review.calibration', { runId: setup.runId });
    expect(measured.images).toBe(splits.find((s) => s.split === 'val')!.images);
    expect(measured.uncalibrated.bins.reduce((n, b) => n + b.count, 0)).toBe(measured.images);
    expect(measured).toMatchObject({ calibrated: null, temperature: null });

    const fitted = await call('review.calibration', { runId: setup.runId, fit: true });
    expect(fitted.uncalibrated).toEqual(measured.uncalibrated);
    const t = fitted.temperature!;
    expect(t).toBeGreaterThan(0);
    const card = JSON.parse(
      readFileSync(path.join(workspace, 'runs', setup.runId, 'model', 'model-card.json'), 'utf8'),
    ) as ModelCard;
    expect(card.calibration).toMatchObject({
      temperature: t,
      split: 'val',
      images: measured.images,
      eceBefore: measured.uncalibrated.ece,
      eceAfter: fitted.calibrated!.ece,
      bins: 10,
    });

    const scaled = await call('review.queue', {
      runId: setup.runId,
      source: { kind: 'split', split: 'test' },
      order: 'entropy',
    });
    for (const item of scaled.items) {
      const before = queue.items.find((i) => i.imageId === item.imageId)!.prediction;
      expect(item.prediction.temperature).toBe(t);
      expect(item.prediction.predicted).toBe(before.predicted);
      item.prediction.probabilities.forEach((p, k) =>
        expect(p).toBeCloseTo(applyTemperature(before.probabilities, t)[k]!, 12),
      );
    }
    // Calibration adds no verdicts.
    expect((await call('review.verdicts', {})).verdicts).toHaveLength(5);
  });

  it('explains an image on its own pixels, with trust measures only when asked', async () => {
    const item = queue.items[0]!;
    const frame = await call('imaging.frame', { id: item.imageId, frame: 0 });
    const map = await call('review.explain', { runId: setup.runId, imageId: item.imageId, method: 'cam' });
    expect(map).toMatchObject({ method: 'cam', classIndex: item.prediction.predicted, frame: 0, trust: null });
    expect([map.rows, map.columns, map.heatmap.length]).toEqual([
      frame.rows,
      frame.columns,
      frame.rows * frame.columns,
    ]);
    const peak = map.heatmap.indexOf(Math.max(...map.heatmap));
    expect(map.peak).toEqual([peak % map.columns, Math.floor(peak / map.columns)]);
    const other = 1 - item.prediction.predicted;
    const trusted = await call('review.explain', {
      runId: setup.runId,
      imageId: item.imageId,
      classIndex: other,
      trust: true,
    });
    expect(trusted.className).toBe(queue.classes[other]!.name);
    expect(trusted.trust).toMatchObject({ deletionAuc: expect.any(Number), insertionAuc: expect.any(Number) });
    await expect(call('review.explain', { runId: setup.runId, imageId: item.imageId, classIndex: 7 })).rejects.toThrow(
      'There is no class 7: the model has 2 classes',
    );
  });

  it('exports from the command line', async () => {
    await call('workspace.close', {});
    const out = path.join(dir, 'cli-report');
    const result = await runCli([
      'review',
      'export',
      '--workspace',
      workspace,
      '--out',
      out,
      '--format',
      'csv',
      '--run',
      setup.runId,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('exported 5 verdicts');
    expect(parseCsv(readFileSync(path.join(out, 'review.csv'), 'utf8')).length).toBe(6);
    const bad = await runCli(['review', 'export', '--workspace', workspace, '--out', out, '--format', 'pdf']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('format is one of csv, html');
  });
});
