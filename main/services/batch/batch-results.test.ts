import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchResults, SCORE_HISTOGRAM_BINS } from '../../../contract/index';
import { BatchResults } from './batch-results';
import { histogramOf, rowOf } from './result-rows';
import { GALLERY_NO_MATCH } from '../../../contract/index';

const request = (over: object = {}) => batchResults.request.parse({ jobId: 'batch-20260101-000000-abcd', ...over });

describe('result rows', () => {
  const base = { path: '/a.png', relative: 'a.png', sha256: 'x', frame: 0 };

  it('measures a classification row as the Review queue does', () => {
    const row = rowOf({ ...base, predicted: 'lesion', probabilities: { normal: 0.2, lesion: 0.8 } }, 7);
    expect(row).toMatchObject({ predicted: 'lesion', imageId: 7, status: 'done' });
    expect(row.score).toBeCloseTo(0.8, 12);
    expect(row.margin).toBeCloseTo(0.6, 12);
    expect(row.entropy).toBeCloseTo(-(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2)), 12);
  });

  it('takes the best box, the largest foreground area and the nearest reference', () => {
    const boxes = [
      { class: 'crack', score: 0.9, box: [1, 2, 3, 4] as [number, number, number, number] },
      { class: 'dent', score: 0.4, box: [5, 6, 7, 8] as [number, number, number, number] },
    ];
    expect(rowOf({ ...base, boxes }, null)).toMatchObject({ predicted: 'crack', score: 0.9, boxes: 2 });
    expect(rowOf({ ...base, boxes: [] }, null)).toMatchObject({ predicted: null, score: null, boxes: 0 });
    const areas = { background: { pixels: 900 }, liver: { pixels: 40 }, tumour: { pixels: 60 } };
    expect(rowOf({ ...base, areas }, null)).toMatchObject({ predicted: 'tumour', score: null });
    const empty = { background: { pixels: 1000 }, liver: { pixels: 0 } };
    expect(rowOf({ ...base, areas: empty }, null).predicted).toBeNull();
    expect(rowOf({ ...base, matches: [{ id: 'p7', label: 'part-7', score: 0.93, same: true }] }, null)).toMatchObject({
      predicted: 'part-7',
      score: 0.93,
      margin: null,
    });
    // The nearest leads the next by the margin; below the threshold, no enrolled part is this one.
    const matches = [
      { id: 'p7', label: 'part-7', score: 0.93, same: true },
      { id: 'p2', label: 'part-2', score: 0.71, same: false },
    ];
    expect(rowOf({ ...base, matches }, null).margin).toBeCloseTo(0.22, 12);
    const unmatched = rowOf({ ...base, matches: matches.map((m) => ({ ...m, same: false })) }, null);
    expect(unmatched).toMatchObject({ predicted: GALLERY_NO_MATCH, score: 0.93 });
  });

  it('bins scores into [i/n, (i+1)/n), a score of 1 in the last bin', () => {
    const rows = [0, 0.049, 0.05, 0.5, 1, null].map((score) => ({ ...rowOf({ ...base }, null), score }));
    const bins = histogramOf(rows);
    expect(bins).toHaveLength(SCORE_HISTOGRAM_BINS);
    expect(bins[0]).toBe(2);
    expect(bins[1]).toBe(1);
    expect(bins[10]).toBe(1);
    expect(bins[SCORE_HISTOGRAM_BINS - 1]).toBe(1);
    expect(bins.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe('results pages from an output folder', () => {
  let out: string;
  let db: Database.Database;
  const jsonl = () => path.join(out, 'predictions.jsonl');
  const manifest = () => path.join(out, 'manifest.jsonl');
  let length = 0;

  /** Appends a file's row to predictions.jsonl; `commit` also appends its manifest line, as the journal does. */
  function predict(name: string, probabilities: Record<string, number>, commit = true): void {
    const best = Object.entries(probabilities).sort((a, b) => b[1] - a[1])[0]![0];
    const line = `${JSON.stringify({ path: `/in/${name}`, relative: name, sha256: name, frame: 0, predicted: best, probabilities })}\n`;
    appendFileSync(jsonl(), line);
    length += Buffer.byteLength(line);
    if (commit)
      appendFileSync(
        manifest(),
        `${JSON.stringify({ path: `/in/${name}`, status: 'done', ends: { 'predictions.jsonl': length } })}\n`,
      );
  }

  beforeEach(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'loupe-batch-results-'));
    writeFileSync(jsonl(), '');
    writeFileSync(manifest(), '');
    length = 0;
    db = new Database(':memory:');
    db.exec(
      "CREATE TABLE images (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, imported_at TEXT NOT NULL DEFAULT '')",
    );
    db.prepare('INSERT INTO images (id, sha256) VALUES (?, ?)').run(42, 'b.png');
  });
  afterEach(() => {
    db.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('shows only rows the manifest vouches for, and reads what is appended later', async () => {
    const results = new BatchResults();
    predict('a.png', { normal: 0.9, lesion: 0.1 });
    predict('b.png', { normal: 0.3, lesion: 0.7 }, false);
    appendFileSync(manifest(), '{"path":"/in/b.png","sta');
    let page = await results.page(out, db, request());
    expect(page.rows.map((r) => r.relative)).toEqual(['a.png']);

    // The journal finishes: the torn line is cut, b's line and a failed file's follow.
    const whole = readFileSync(manifest(), 'utf8');
    writeFileSync(manifest(), whole.slice(0, whole.lastIndexOf('\n') + 1));
    appendFileSync(
      manifest(),
      `${JSON.stringify({ path: '/in/b.png', status: 'done', ends: { 'predictions.jsonl': length } })}\n`,
    );
    appendFileSync(
      manifest(),
      `${JSON.stringify({ path: '/in/x.txt', relative: 'x.txt', status: 'failed', reason: 'not an image', ends: { 'predictions.jsonl': length } })}\n`,
    );
    page = await results.page(out, db, request());
    expect(page.rows.map((r) => [r.relative, r.status, r.imageId])).toEqual([
      ['a.png', 'done', null],
      ['b.png', 'done', 42],
      ['x.txt', 'failed', null],
    ]);
    expect(page.imageIds).toEqual([42]);
  });

  it('sorts with rows lacking the value last, and filters leave unreadable files out', async () => {
    predict('a.png', { normal: 0.6, lesion: 0.4 });
    predict('b.png', { normal: 0.05, lesion: 0.95 });
    predict('c.png', { normal: 0.8, lesion: 0.2 });
    appendFileSync(
      manifest(),
      `${JSON.stringify({ path: '/in/x.txt', relative: 'x.txt', status: 'failed', reason: 'empty', ends: { 'predictions.jsonl': length } })}\n`,
    );
    const results = new BatchResults();
    const names = async (over: object) => (await results.page(out, db, request(over))).rows.map((r) => r.relative);
    expect(await names({ sort: 'score', descending: true })).toEqual(['b.png', 'c.png', 'a.png', 'x.txt']);
    expect(await names({ sort: 'score', descending: false })).toEqual(['a.png', 'c.png', 'b.png', 'x.txt']);
    expect(await names({ sort: 'margin' })).toEqual(['a.png', 'c.png', 'b.png', 'x.txt']);
    expect(await names({ sort: 'class', descending: true })).toEqual(['a.png', 'c.png', 'b.png', 'x.txt']);
    expect(await names({ minScore: 0.7 })).toEqual(['b.png', 'c.png']);
    expect(await names({ predicted: 'normal' })).toEqual(['a.png', 'c.png']);
    expect(await names({ failed: false, offset: 1, limit: 1 })).toEqual(['b.png']);
    const page = await results.page(out, db, request({ minScore: 0.7 }));
    expect(page).toMatchObject({ all: 4, matching: 2 });
    expect(page.classCounts).toEqual([
      { name: 'normal', count: 2 },
      { name: 'lesion', count: 1 },
    ]);
  });
});
