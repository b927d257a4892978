/**
 * The review exported: CSV with one row per verdict (the whole audit trail, oldest first), or a
 * self-contained HTML report (report-html.ts). Identifying DICOM tags (patient id, study, series
 * and instance UIDs) are left out unless asked for: the image path and SHA-256 name the image.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  LoupeError,
  type BoxPairVerdict,
  type MaskVerdict,
  type ParsedRequestOf,
  type ReplyOf,
  type ReviewVerdict,
} from '../../../contract/index';
import { writeFileAtomic } from '../../../base/atomic-write';
import { toCsv } from '../csv';
import type { Workspace } from '../workspace/workspace';
import { reviewHtml, type ReportRun } from './report-html';
import { IDENTIFIER_COLUMNS, latestOnly, verdictLeadCells, type Identifiers } from './verdict-summary';
import type { ReviewService } from './review-service';
import { listVerdicts } from './trail';
import { listMaskVerdicts } from './mask-trail';
import { MASK_CSV_COLUMNS, maskRunsHtml, maskVerdictCells, type MaskReportRun } from './report-masks';
import { maskOutlines } from './report-outlines';
import { listBoxPairVerdicts } from './box-pair-trail';
import {
  BOX_PAIR_CSV_COLUMNS,
  boxPairRunsHtml,
  boxPairVerdictCells,
  latestBoxPairVerdicts,
  type BoxPairReportRun,
} from './report-box-pairs';

/** File names written into the output folder. */
export const REVIEW_CSV = 'review.csv';
export const REVIEW_HTML = 'review.html';

const CSV_HEADER = [
  'verdict_id',
  'time',
  'reviewer',
  'image_path',
  'image_sha256',
  'run_id',
  'weights_sha256',
  'task_id',
  'predicted_class',
  'score',
  'probabilities',
  'method',
  'verdict',
  'correct_class',
  'comment',
  'label_revision',
  ...MASK_CSV_COLUMNS,
  ...BOX_PAIR_CSV_COLUMNS,
];
/** Segmentation cells a detection or verification row leaves empty, between run_kind and its own. */
const MASK_ONLY_COLUMNS = MASK_CSV_COLUMNS.length - 1;

/** Every verdict, of every kind of run, one row each in trail (id) order. */
export function verdictsCsv(
  verdicts: readonly ReviewVerdict[],
  identifiers: Map<number, Identifiers> | null,
  maskVerdicts: readonly MaskVerdict[] = [],
  boxPairVerdicts: readonly BoxPairVerdict[] = [],
): string {
  const classified = verdicts.map((v) => {
    const p = v.prediction;
    const row: (string | number)[] = [
      ...verdictLeadCells(v),
      p.predictedClass,
      p.probabilities[p.predicted] ?? '',
      p.classes.map((name, i) => `${name}=${p.probabilities[i]}`).join(';'),
      v.method,
      v.verdict,
      v.correctClass ?? '',
      v.comment,
      v.correctionRevision ?? '',
      'classification',
      '',
      '',
      '',
      '',
    ];
    return { id: v.id, imageId: v.imageId, row };
  });
  const masked = maskVerdicts.map((v) => ({ id: v.id, imageId: v.imageId, row: maskVerdictCells(v) }));
  const boxPairs = boxPairVerdicts.map((v) => ({
    id: v.id,
    imageId: v.imageId,
    row: boxPairVerdictCells(v, MASK_ONLY_COLUMNS),
  }));
  const rows = [...classified, ...masked, ...boxPairs]
    .sort((a, b) => a.id - b.id)
    .map(({ imageId, row }) => {
      // Rows of the other kinds leave the detection and verification columns empty.
      while (row.length < CSV_HEADER.length) row.push('');
      if (identifiers) {
        const ids = identifiers.get(imageId);
        row.push(...IDENTIFIER_COLUMNS.map((c) => ids?.[c] ?? ''));
      }
      return row;
    });
  return toCsv([[...CSV_HEADER, ...(identifiers ? IDENTIFIER_COLUMNS : [])], ...rows]);
}

/** DICOM identifiers of the images still in the workspace. */
function identifiersOf(ws: Workspace, imageIds: readonly number[]): Map<number, Identifiers> {
  const out = new Map<number, Identifiers>();
  const select = ws.db.prepare('SELECT patient_id, study_uid, series_uid, sop_uid FROM images WHERE id = ?');
  for (const id of new Set(imageIds)) {
    const row = select.get(id) as Record<string, string | null> | undefined;
    if (row)
      out.set(id, {
        patient_id: row.patient_id ?? '',
        study_uid: row.study_uid ?? '',
        series_uid: row.series_uid ?? '',
        sop_uid: row.sop_uid ?? '',
      });
  }
  return out;
}

export async function exportReview(
  ws: Workspace,
  review: ReviewService,
  request: ParsedRequestOf<'review.export'>,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
): Promise<ReplyOf<'review.export'>> {
  const verdicts = listVerdicts(ws.db, request.runId);
  const maskVerdicts = listMaskVerdicts(ws.db, request.runId);
  const boxPairVerdicts = listBoxPairVerdicts(ws.db, request.runId);
  const total = verdicts.length + maskVerdicts.length + boxPairVerdicts.length;
  if (total === 0)
    throw new LoupeError(
      'NOT_FOUND',
      request.runId
        ? `Run ${request.runId} has no review verdicts to export.`
        : 'This workspace has no review verdicts to export yet.',
    );
  const identifiers = request.includeIdentifiers
    ? identifiersOf(
        ws,
        [...verdicts, ...maskVerdicts, ...boxPairVerdicts].map((v) => v.imageId),
      )
    : null;
  await mkdir(request.out, { recursive: true });
  if (request.format === 'csv') {
    const file = path.join(request.out, REVIEW_CSV);
    await writeFileAtomic(file, verdictsCsv(verdicts, identifiers, maskVerdicts, boxPairVerdicts));
    progress(1, 1);
    return { file, verdicts: total };
  }
  const runs: ReportRun[] = [];
  for (const runId of [...new Set(verdicts.map((v) => v.runId))]) {
    const ofRun = verdicts.filter((v) => v.runId === runId);
    runs.push({ runId, card: await review.modelCard(ws, runId), verdicts: ofRun, current: latestOnly(ofRun) });
  }
  const maskRuns: MaskReportRun[] = [...new Set(maskVerdicts.map((v) => v.runId))].map((runId) => {
    const ofRun = maskVerdicts.filter((v) => v.runId === runId);
    return { runId, verdicts: ofRun, current: latestOnly(ofRun) };
  });
  const boxPairRuns: BoxPairReportRun[] = [...new Set(boxPairVerdicts.map((v) => v.runId))].map((runId) => {
    const ofRun = boxPairVerdicts.filter((v) => v.runId === runId);
    return { runId, verdicts: ofRun, current: latestBoxPairVerdicts(ofRun) };
  });
  const imageIds = [...new Set([...verdicts, ...maskVerdicts, ...boxPairVerdicts].map((v) => v.imageId))];
  const thumbnails = await inlineThumbnails(review, imageIds, signal, progress);
  const otherSections =
    maskRunsHtml(maskRuns, thumbnails, await maskOutlines(ws, maskVerdicts), identifiers) +
    boxPairRunsHtml(boxPairRuns, thumbnails, identifiers);
  const file = path.join(request.out, REVIEW_HTML);
  await writeFileAtomic(
    file,
    reviewHtml({ generatedAt: new Date().toISOString(), runs, thumbnails, identifiers, otherSections }),
  );
  return { file, verdicts: total };
}

/** Thumbnails fetched per call (the imaging service makes missing ones on the way). */
const THUMBNAIL_BATCH = 32;

/** data: URIs of the images' thumbnails, so the page needs no other file. */
async function inlineThumbnails(
  review: ReviewService,
  ids: readonly number[],
  signal: AbortSignal,
  progress: (done: number, total: number) => void,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (let start = 0; start < ids.length; start += THUMBNAIL_BATCH) {
    if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
    for (const t of await review.thumbnails(ids.slice(start, start + THUMBNAIL_BATCH))) {
      if (t.bytes) out.set(t.id, `data:${t.mime};base64,${Buffer.from(t.bytes).toString('base64')}`);
    }
    progress(Math.min(ids.length, start + THUMBNAIL_BATCH), ids.length);
  }
  return out;
}
