/**
 * The Batch section's results table, read from a job's output folder: one row per frame of
 * predictions.jsonl, plus one per file the manifest records as failed. Rows are parsed once and
 * kept; a later call reads only what was appended since (the files are append-only, and a resume
 * that cut them back makes the cache start over). Sorting and filtering happen here, so a page of
 * a 20,000-row result costs the page, not the whole table, on the wire and in the UI.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { SCORE_HISTOGRAM_BINS, type BatchResultRow, type ParsedRequestOf, type ReplyOf } from '../../../contract/index';
import { uncertainty } from '../review/queue';
import { JSONL_FILE } from './formats';
import { MANIFEST_FILE, type ManifestEntry } from './output-folder';

/** Jobs whose rows are kept in memory; older ones are parsed again when looked at. */
const CACHED_JOBS = 4;

interface JsonlLine {
  path: string;
  relative: string;
  sha256: string;
  frame: number;
  predicted?: string;
  probabilities?: Record<string, number>;
  boxes?: { class: string; score: number }[];
  areas?: Record<string, { pixels: number }>;
  matches?: { label: string; score: number }[];
  mask?: string | null;
}

const detailKey = (file: string, frame: number): string => `${frame}\0${file}`;

interface Tail {
  offset: number;
  rows: BatchResultRow[];
}

/** What a detection or segmentation line predicted beyond its table row: for the viewer's overlay. */
export interface LineDetail {
  boxes?: { class: string; score: number; box: [number, number, number, number] }[];
  /** The mask PNG, relative to the output folder (null: the batch wrote no mask files). */
  mask?: string | null;
}

interface CachedJob {
  jsonl: Tail;
  manifest: Tail;
  /** Detection and segmentation lines' boxes and mask file, by path and frame. */
  details: Map<string, LineDetail>;
  /** Bytes of predictions.jsonl the manifest vouches for (its last line's `ends`). */
  committed: number;
}

/**
 * Complete lines of a file from `tail.offset` up to `limit` bytes, or null if the file shrank
 * (another batch was written into a folder that was emptied).
 */
async function appended(file: string, tail: Tail, limit = Infinity): Promise<string[] | null> {
  const handle = await fs.open(file, 'r').catch(() => null);
  if (!handle) return tail.offset === 0 ? [] : null;
  try {
    const size = Math.min(limit, (await handle.stat()).size);
    if (size < tail.offset) return null;
    if (size === tail.offset) return [];
    const buffer = Buffer.alloc(size - tail.offset);
    await handle.read(buffer, 0, buffer.length, tail.offset);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return [];
    tail.offset += end + 1;
    return buffer.subarray(0, end).toString('utf8').split('\n');
  } finally {
    await handle.close();
  }
}

/** One JSONL line as a table row, whatever the task wrote. */
export function rowOf(line: JsonlLine, imageId: number | null): BatchResultRow {
  const row: BatchResultRow = {
    path: line.path,
    relative: line.relative,
    frame: line.frame,
    imageId,
    status: 'done',
    reason: null,
    predicted: null,
    score: null,
    entropy: null,
    margin: null,
    boxes: null,
  };
  if (line.probabilities) {
    const u = uncertainty(Object.values(line.probabilities));
    return { ...row, predicted: line.predicted ?? null, score: u.score, entropy: u.entropy, margin: u.margin };
  }
  if (line.boxes) {
    const best = line.boxes[0];
    return { ...row, predicted: best?.class ?? null, score: best?.score ?? null, boxes: line.boxes.length };
  }
  if (line.areas) {
    // The first class is the background: the image's class is its largest foreground area.
    const [, ...foreground] = Object.entries(line.areas);
    const largest = foreground.reduce<[string, number] | null>(
      (best, [name, a]) => (a.pixels > 0 && (!best || a.pixels > best[1]) ? [name, a.pixels] : best),
      null,
    );
    return { ...row, predicted: largest?.[0] ?? null };
  }
  if (line.matches) {
    const nearest = line.matches[0];
    return { ...row, predicted: nearest?.label ?? null, score: nearest?.score ?? null };
  }
  return row;
}

type Request = ParsedRequestOf<'batch.results'>;

function passes(row: BatchResultRow, request: Request): boolean {
  const scoreFiltered = request.minScore > 0 || request.maxScore < 1;
  // A file that could not be predicted has no class, score or entropy: any such filter leaves it out.
  if (row.status === 'failed')
    return request.failed && request.predicted === '' && request.minEntropy === 0 && !scoreFiltered;
  if (request.predicted !== '' && row.predicted !== request.predicted) return false;
  if (scoreFiltered) {
    if (row.score === null || row.score < request.minScore || row.score > request.maxScore) return false;
  }
  if (request.minEntropy > 0 && (row.entropy === null || row.entropy < request.minEntropy)) return false;
  return true;
}

/** Rows without the sorted value go last in either direction. */
function comparator(request: Request): (a: BatchResultRow, b: BatchResultRow) => number {
  const sign = request.descending ? -1 : 1;
  const byPath = (a: BatchResultRow, b: BatchResultRow) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.frame - b.frame;
  if (request.sort === 'path') return (a, b) => sign * byPath(a, b);
  const key = request.sort === 'class' ? 'predicted' : request.sort;
  return (a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null || y === null) return x === y ? byPath(a, b) : x === null ? 1 : -1;
    const order = typeof x === 'number' ? x - (y as number) : String(x).localeCompare(String(y));
    return sign * order || byPath(a, b);
  };
}

export function histogramOf(rows: readonly BatchResultRow[]): number[] {
  const bins = new Array<number>(SCORE_HISTOGRAM_BINS).fill(0);
  for (const { score } of rows) {
    if (score === null) continue;
    // A score of exactly 1 belongs to the last bin; verification's cosine scores may go below 0.
    const bin = Math.min(SCORE_HISTOGRAM_BINS - 1, Math.max(0, Math.floor(score * SCORE_HISTOGRAM_BINS)));
    bins[bin]!++;
  }
  return bins;
}

export class BatchResults {
  private readonly cache = new Map<string, CachedJob>();
  /** Reads one at a time: two pages read at once would both append the same new lines. */
  private reading: Promise<unknown> = Promise.resolve();

  /** Reads what the output folder holds now; `db` resolves each file's workspace image by content. */
  async page(out: string, db: Database.Database, request: Request): Promise<ReplyOf<'batch.results'>> {
    const read = this.reading.then(() => this.rows(out, db));
    this.reading = read.catch(() => undefined);
    const rows = await read;
    const kept = rows.filter((r) => passes(r, request)).sort(comparator(request));
    const counts = new Map<string, number>();
    for (const r of rows) if (r.predicted !== null) counts.set(r.predicted, (counts.get(r.predicted) ?? 0) + 1);
    return {
      jobId: request.jobId,
      all: rows.length,
      matching: kept.length,
      rows: kept.slice(request.offset, request.offset + request.limit),
      histogram: histogramOf(kept),
      classCounts: [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count),
      imageIds: [...new Set(kept.flatMap((r) => (r.imageId === null ? [] : [r.imageId])))],
    };
  }

  /**
   * The predicted row of `file`'s frame in the job's results, with its boxes or mask file, or null:
   * what may be opened and explained.
   */
  async predicted(
    out: string,
    db: Database.Database,
    file: string,
    frame: number,
  ): Promise<{ row: BatchResultRow; detail: LineDetail } | null> {
    const read = this.reading.then(() => this.rows(out, db));
    this.reading = read.catch(() => undefined);
    const row = (await read).find((r) => r.status === 'done' && r.path === file && r.frame === frame);
    if (!row) return null;
    return { row, detail: this.cache.get(cacheKey(out, db))?.details.get(detailKey(file, frame)) ?? {} };
  }

  private async rows(out: string, db: Database.Database): Promise<BatchResultRow[]> {
    const key = cacheKey(out, db);
    let job = this.cache.get(key);
    if (!job) {
      job = { jsonl: { offset: 0, rows: [] }, manifest: { offset: 0, rows: [] }, details: new Map(), committed: 0 };
      this.cache.set(key, job);
      // Oldest out first: a Map keeps insertion order.
      for (const old of [...this.cache.keys()].slice(0, Math.max(0, this.cache.size - CACHED_JOBS)))
        this.cache.delete(old);
    }
    // The manifest first: only rows it vouches for are shown. Rows past it belong to files a kill
    // interrupted; resuming cuts them and predicts those files again.
    const entries = await appended(path.join(out, MANIFEST_FILE), job.manifest);
    const lines = entries && (await appended(path.join(out, JSONL_FILE), job.jsonl, committedEnd(job, entries)));
    if (!entries || !lines) {
      this.cache.delete(key);
      return this.rows(out, db);
    }
    const imageOf = db.prepare('SELECT id FROM images WHERE sha256 = ?').pluck();
    for (const text of lines) {
      const line = JSON.parse(text) as JsonlLine & LineDetail;
      job.jsonl.rows.push(rowOf(line, (imageOf.get(line.sha256) as number | undefined) ?? null));
      if (line.boxes || line.mask !== undefined)
        job.details.set(detailKey(line.path, line.frame), {
          ...(line.boxes ? { boxes: line.boxes } : {}),
          ...(line.mask !== undefined ? { mask: line.mask } : {}),
        });
    }
    return [...job.jsonl.rows, ...job.manifest.rows];
  }
}

const cacheKey = (out: string, db: Database.Database): string => `${db.name}\n${out}`;

/** Adds the new manifest lines' failed files to the rows and returns the committed JSONL length. */
function committedEnd(job: CachedJob, lines: readonly string[]): number {
  for (const text of lines) {
    const entry = JSON.parse(text) as ManifestEntry;
    if (entry.status === 'failed') job.manifest.rows.push(failedRow(entry));
    job.committed = entry.ends[JSONL_FILE] ?? job.committed;
  }
  return job.committed;
}

function failedRow(entry: ManifestEntry): BatchResultRow {
  return {
    path: entry.path,
    relative: entry.relative,
    frame: 0,
    imageId: null,
    status: 'failed',
    reason: entry.reason ?? null,
    predicted: null,
    score: null,
    entropy: null,
    margin: null,
    boxes: null,
  };
}
