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
import { MAX_REVIEW_QUEUE, type BatchResultRow, type ReplyOf } from '../../../contract/index';
import { JSONL_FILE } from './formats';
import { MANIFEST_FILE, type ManifestEntry } from './output-folder';
import { comparator, failedRow, histogramOf, passes, rowOf, type JsonlLine, type Request } from './result-rows';

/** Jobs whose rows are kept in memory; older ones are parsed again when looked at. */
const CACHED_JOBS = 4;

const frameKey = (file: string, frame: number): string => `${frame}\0${file}`;

interface Tail {
  offset: number;
  rows: BatchResultRow[];
}

/** What a detection, segmentation or gallery-matching line predicted beyond its table row: for the viewer. */
export type LineDetail = Partial<Pick<ReplyOf<'batch.prediction'>, 'boxes' | 'matches'>> & {
  /** The mask PNG, relative to the output folder (null: the batch wrote no mask files). */
  mask?: string | null;
};

interface CachedJob {
  jsonl: Tail;
  manifest: Tail;
  /**
   * Each predicted frame by path and frame: its row (the one in `jsonl.rows`), its file's content
   * hash, which names its workspace image, and what the viewer draws beyond the row.
   */
  frames: Map<string, { row: BatchResultRow; sha256: string; detail: LineDetail }>;
  /** The workspace's images when rows' image ids were last looked up (count, newest id and import). */
  imagesSeen: string;
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

export class BatchResults {
  private readonly cache = new Map<string, CachedJob>();
  /** Reads one at a time: two pages read at once would both append the same new lines. */
  private reading: Promise<unknown> = Promise.resolve();

  /** Reads what the output folder holds now; `db` resolves each file's workspace image by content. */
  async page(out: string, db: Database.Database, request: Request): Promise<ReplyOf<'batch.results'>> {
    const job = await this.read(out, db);
    const rows = [...job.jsonl.rows, ...job.manifest.rows];
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
      outside: [...new Set(kept.flatMap((r) => (r.imageId === null && r.status === 'done' ? [r.path] : [])))].slice(
        0,
        MAX_REVIEW_QUEUE,
      ),
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
    const found = (await this.read(out, db)).frames.get(frameKey(file, frame));
    return found ? { row: found.row, detail: found.detail } : null;
  }

  /** The job's cached results brought up to date, one read at a time. */
  private read(out: string, db: Database.Database): Promise<CachedJob> {
    const read = this.reading.then(() => this.readNow(out, db));
    this.reading = read.catch(() => undefined);
    return read;
  }

  private async readNow(out: string, db: Database.Database): Promise<CachedJob> {
    const key = cacheKey(out, db);
    let job = this.cache.get(key);
    if (!job) {
      job = {
        jsonl: { offset: 0, rows: [] },
        manifest: { offset: 0, rows: [] },
        frames: new Map(),
        imagesSeen: '',
        committed: 0,
      };
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
      return this.readNow(out, db);
    }
    const imageOf = db.prepare('SELECT id FROM images WHERE sha256 = ?').pluck();
    for (const text of lines) {
      const line = JSON.parse(text) as JsonlLine;
      const row = rowOf(line, (imageOf.get(line.sha256) as number | undefined) ?? null);
      job.jsonl.rows.push(row);
      const detail: LineDetail = {
        ...(line.boxes
          ? { boxes: line.boxes.map(({ class: name, score, box }) => ({ class: name, score, box })) }
          : {}),
        ...(line.mask !== undefined ? { mask: line.mask } : {}),
        ...(line.matches
          ? {
              matches: {
                threshold: line.threshold ?? 0,
                nearest: line.matches.map(({ id, label, score, same }) => ({ id, label, score, same })),
              },
            }
          : {}),
      };
      job.frames.set(frameKey(line.path, line.frame), { row, sha256: line.sha256, detail });
    }
    refreshImageIds(job, db);
    return job;
  }
}

/**
 * Files imported (for Review) or images removed since the rows were read change which rows are
 * workspace images: the rows' ids are looked up again, all at once, when the images table changed.
 */
function refreshImageIds(job: CachedJob, db: Database.Database): void {
  // The newest import time too: a removed newest image's id may be given again to the next import.
  const seen = db
    .prepare("SELECT COUNT(*) || ' ' || COALESCE(MAX(id), 0) || ' ' || COALESCE(MAX(imported_at), '') FROM images")
    .pluck()
    .get() as string;
  if (seen === job.imagesSeen) return;
  const wasEmpty = job.imagesSeen === '';
  job.imagesSeen = seen;
  // Rows just read were looked up as they were parsed.
  if (wasEmpty) return;
  const ids = new Map(
    (db.prepare('SELECT sha256, id FROM images').all() as { sha256: string; id: number }[]).map((r) => [
      r.sha256,
      r.id,
    ]),
  );
  for (const { row, sha256 } of job.frames.values()) row.imageId = ids.get(sha256) ?? null;
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
