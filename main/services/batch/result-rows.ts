/**
 * The Batch section's results table, row by row: one JSONL line (or a file the manifest records
 * as failed) as a table row, whatever the task wrote, and the filters, sort and score histogram
 * the table asks for.
 */
import {
  GALLERY_NO_MATCH,
  SCORE_HISTOGRAM_BINS,
  type BatchResultRow,
  type ParsedRequestOf,
} from '../../../contract/index';
import { uncertainty } from '../review/queue';
import type { ManifestEntry } from './output-folder';

export interface JsonlLine {
  path: string;
  relative: string;
  sha256: string;
  frame: number;
  predicted?: string;
  probabilities?: Record<string, number>;
  /** Detection: boxes best first, [x1, y1, x2, y2] in frame pixels. */
  boxes?: { class: string; score: number; box: [number, number, number, number] }[];
  areas?: Record<string, { pixels: number }>;
  /** Verification with a gallery: the nearest references, best first, and the decision threshold. */
  matches?: { id: string; label: string; score: number; same: boolean }[];
  threshold?: number;
  /** Segmentation: the mask PNG relative to the output folder (null: no mask files written). */
  mask?: string | null;
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
    // Identified where the nearest reference is decided the same part; how far it leads the next says how surely.
    const [nearest, next] = line.matches;
    if (!nearest) return row;
    const predicted = nearest.same ? nearest.label : GALLERY_NO_MATCH;
    return { ...row, predicted, score: nearest.score, margin: next ? nearest.score - next.score : null };
  }
  return row;
}

export type Request = ParsedRequestOf<'batch.results'>;

export function passes(row: BatchResultRow, request: Request): boolean {
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
export function comparator(request: Request): (a: BatchResultRow, b: BatchResultRow) => number {
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

export function failedRow(entry: ManifestEntry): BatchResultRow {
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
