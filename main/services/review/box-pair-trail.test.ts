/**
 * Verdicts on detection and verification runs in the one append-only trail: rows appended with
 * their prediction and correction, the latest per image or pair current, UPDATE and DELETE refused
 * by the triggers on these rows too, a confirmed correction written into the task (boxes replacing
 * the image's, saved as from review; a pair's answer), and the CSV and HTML report rows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxPairVerdict } from '../../../contract/index';
import { labelsWorkspace } from '../../../tests/helpers/labels-services';
import { parseCsv } from '../csv';
import { applyBoxPairCorrection } from './box-pair-correction';
import {
  appendBoxPairVerdict,
  currentBoxPairVerdict,
  listBoxPairVerdicts,
  type NewBoxPairVerdict,
} from './box-pair-trail';
import { boxPairRunsHtml, latestBoxPairVerdicts } from './report-box-pairs';
import { exportReview, verdictsCsv } from './report';
import type { ReviewService } from './review-service';
import { reviewSaveId } from './review-correction';

type Env = Awaited<ReturnType<typeof labelsWorkspace>>;

describe('detection and verification verdicts in the review trail', () => {
  let env: Env;
  let detectionTask: number;
  let verificationTask: number;
  let lesion: number;
  let cyst: number;

  beforeAll(async () => {
    env = await labelsWorkspace([
      { name: 'a.png', width: 40, height: 30 },
      { name: 'b.png', width: 40, height: 30 },
      { name: 'c.png', width: 40, height: 30 },
    ]);
    const detection = await env.call('labels.createTask', {
      name: 'Findings',
      kind: 'detection',
      classes: [{ name: 'lesion' }, { name: 'cyst' }],
    });
    detectionTask = detection.id;
    [lesion, cyst] = detection.classes.map((c) => c.id) as [number, number];
    verificationTask = (await env.call('labels.createTask', { name: 'Same part', kind: 'verification' })).id;
  });
  afterAll(() => env.dispose());

  const base = (imageId: number, taskId: number): Omit<NewBoxPairVerdict, 'prediction' | 'verdict' | 'correction'> => ({
    reviewer: 'Dr. Example',
    imageId,
    imageSha256: 'a'.repeat(64),
    imagePath: `/images/${imageId}.png`,
    runId: 'run-1',
    weightsSha256: 'b'.repeat(64),
    taskId,
    method: 'gradcam',
    comment: 'looked twice',
  });
  const detectionPrediction = {
    kind: 'detection' as const,
    scoreThreshold: 0.3,
    boxes: [{ classId: 1, className: 'lesion', x1: 2, y1: 3, x2: 12, y2: 13, score: 0.9 }],
  };

  it('appends detection verdicts with their boxes, the latest one current, and refuses UPDATE and DELETE', () => {
    const [image] = env.ids as [number];
    const agree = appendBoxPairVerdict(env.db(), {
      ...base(image, detectionTask),
      prediction: detectionPrediction,
      verdict: 'agree',
      correction: null,
    });
    const corrected = [{ classId: cyst, x1: 5, y1: 5, x2: 20, y2: 25 }];
    const disagree = appendBoxPairVerdict(env.db(), {
      ...base(image, detectionTask),
      prediction: detectionPrediction,
      verdict: 'disagree',
      correction: { boxes: corrected },
    });
    expect(agree).toMatchObject({ kind: 'detection', verdict: 'agree', correction: null, correctionRevision: null });
    expect(disagree).toMatchObject({
      kind: 'detection',
      reviewer: 'Dr. Example',
      weightsSha256: 'b'.repeat(64),
      prediction: detectionPrediction,
      correction: { boxes: corrected },
    });
    expect(currentBoxPairVerdict(env.db(), 'run-1', image, null)?.id).toBe(disagree.id);
    expect(listBoxPairVerdicts(env.db(), 'run-1').map((v) => v.id)).toEqual([agree.id, disagree.id]);
    expect(() =>
      env.db().prepare("UPDATE review_verdicts SET verdict = 'agree' WHERE id = ?").run(disagree.id),
    ).toThrow(/append-only/);
    expect(() =>
      env.db().prepare('UPDATE review_verdicts SET correction_json = NULL WHERE id = ?').run(disagree.id),
    ).toThrow(/append-only/);
    expect(() => env.db().prepare('DELETE FROM review_verdicts WHERE id = ?').run(agree.id)).toThrow(/append-only/);
    expect(listBoxPairVerdicts(env.db()).length).toBe(2);
  });

  it('writes a confirmed box correction as the image’s boxes, saved as from review, once', async () => {
    const [image] = env.ids as [number];
    await env.call('labels.save', {
      taskId: detectionTask,
      imageId: image,
      saveId: 'by-hand',
      baseRevision: 0,
      boxes: [{ classId: lesion, x1: 1, y1: 1, x2: 9, y2: 9 }],
    });
    const current = currentBoxPairVerdict(env.db(), 'run-1', image, null)!;
    const applied = await applyBoxPairCorrection(env.services.workspaces.require(), current.id);
    const labels = await env.call('labels.get', { taskId: detectionTask, imageId: image });
    expect(labels.boxes).toEqual([{ classId: cyst, x1: 5, y1: 5, x2: 20, y2: 25 }]);
    expect(labels.revision).toBe(applied.revision);
    const saveId = env
      .db()
      .prepare('SELECT save_id FROM label_revisions WHERE task_id = ? AND image_id = ?')
      .pluck()
      .get(detectionTask, image);
    expect(saveId).toBe(reviewSaveId(current.id));
    expect(listBoxPairVerdicts(env.db()).at(-1)!.correctionRevision).toBe(applied.revision);
    // A retry changes nothing.
    expect(await applyBoxPairCorrection(env.services.workspaces.require(), current.id)).toEqual(applied);
    expect((await env.call('labels.get', { taskId: detectionTask, imageId: image })).revision).toBe(applied.revision);
    const agree = listBoxPairVerdicts(env.db())[0]!;
    await expect(applyBoxPairCorrection(env.services.workspaces.require(), agree.id)).rejects.toThrow(/no correction/);
  });

  it('records a verification verdict per pair and writes its right answer into the task', async () => {
    const [, b, c] = env.ids as [number, number, number];
    const verdict = appendBoxPairVerdict(env.db(), {
      ...base(b, verificationTask),
      runId: 'run-2',
      prediction: {
        kind: 'verification',
        imageB: c,
        imageBSha256: 'c'.repeat(64),
        imageBPath: '/images/c.png',
        score: 0.42,
        threshold: 0.5,
        same: false,
      },
      verdict: 'disagree',
      correction: { same: true },
    });
    expect(currentBoxPairVerdict(env.db(), 'run-2', b, c)?.id).toBe(verdict.id);
    expect(currentBoxPairVerdict(env.db(), 'run-2', b, null)).toBeNull();
    expect(() => env.db().prepare('DELETE FROM review_verdicts WHERE id = ?').run(verdict.id)).toThrow(/append-only/);
    await applyBoxPairCorrection(env.services.workspaces.require(), verdict.id);
    const { pairs } = await env.call('labels.pairs', { taskId: verificationTask });
    expect(pairs).toMatchObject([{ imageA: b, imageB: c, same: true }]);
  });

  it('puts detection and verification rows in the CSV and HTML reports', () => {
    const verdicts: BoxPairVerdict[] = listBoxPairVerdicts(env.db());
    const rows = parseCsv(verdictsCsv([], null, [], verdicts));
    const header = rows[0]!;
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    expect(rows.length).toBe(1 + verdicts.length);
    expect(rows.every((r) => r.length === header.length)).toBe(true);
    const [, agree, disagree, pair] = rows as [string[], string[], string[], string[]];
    expect(col(agree, 'run_kind')).toBe('detection');
    expect(col(agree, 'predicted_boxes')).toBe('2 3 12 13 lesion 0.9');
    expect(col(disagree, 'verdict')).toBe('disagree');
    expect(col(disagree, 'corrected_boxes')).toBe(`5 5 20 25 class_id=${cyst}`);
    expect(col(disagree, 'label_revision')).not.toBe('');
    expect(col(pair, 'run_kind')).toBe('verification');
    expect(col(pair, 'predicted_class')).toBe('different');
    expect(col(pair, 'correct_class')).toBe('same');
    expect(col(pair, 'image_b_path')).toBe('/images/c.png');
    expect(col(pair, 'comment')).toBe('looked twice');

    const runs = ['run-1', 'run-2'].map((runId) => {
      const ofRun = verdicts.filter((v) => v.runId === runId);
      return { runId, verdicts: ofRun, current: latestBoxPairVerdicts(ofRun) };
    });
    const html = boxPairRunsHtml(runs, new Map(), null);
    expect(html).toContain('Detection run run-1');
    expect(html).toContain('Verification run run-2');
    expect(html).toContain('→ 1 boxes corrected, label written');
    expect(html).toContain('different: similarity 0.420, threshold 0.500');
    expect(html).toContain('class="superseded"');
  });

  it('exports them into review.csv', async () => {
    const out = path.join(env.dir, 'export');
    // A CSV export reads the trail alone (the review service is for the HTML report's thumbnails).
    const reply = await exportReview(
      env.services.workspaces.require(),
      {} as ReviewService,
      { out, format: 'csv', runId: 'run-2', includeIdentifiers: false },
      () => {},
      new AbortController().signal,
    );
    expect(reply.verdicts).toBe(1);
    const rows = parseCsv(readFileSync(reply.file, 'utf8'));
    expect(rows).toHaveLength(2);
    expect(rows[1]![rows[0]!.indexOf('run_kind')]).toBe('verification');
  });
});
