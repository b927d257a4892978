/**
 * Verdicts on detection and verification runs in the review exports: their CSV cells (the shared
 * header's, plus columns of their own) and their HTML section, one per run. A detection row says
 * how many boxes the model found of each class and how many the reviewer's correction holds; a
 * verification row names both images, the similarity against the threshold and the right answer.
 */
import type { BoxPairVerdict } from '../../../contract/index';
import { escapeHtml } from './report-html';
import { verdictLeadCells } from './verdict-summary';
import { agreement, IDENTIFIER_COLUMNS, type Identifiers } from './verdict-summary';

/** Columns only detection and verification verdicts fill, after the segmentation ones. */
export const BOX_PAIR_CSV_COLUMNS = [
  'image_b_path',
  'image_b_sha256',
  'predicted_boxes',
  'corrected_boxes',
  'predicted_same',
  'correct_same',
];

type Box = { x1: number; y1: number; x2: number; y2: number };
/** `x1 y1 x2 y2` and what the box is, per box, `;` between boxes: readable in a spreadsheet, exact to parse. */
const boxesText = <B extends Box>(boxes: readonly B[], what: (b: B) => string): string =>
  boxes.map((b) => `${b.x1} ${b.y1} ${b.x2} ${b.y2} ${what(b)}`).join(';');

/** A detection or verification verdict as cells of the shared CSV header and BOX_PAIR_CSV_COLUMNS. */
export function boxPairVerdictCells(v: BoxPairVerdict, emptyBetween: number): (string | number)[] {
  const p = v.prediction;
  const correction = v.correction;
  const head: (string | number)[] = [
    ...verdictLeadCells(v),
    p.kind === 'verification' ? (p.same ? 'same' : 'different') : '',
    p.kind === 'verification' ? p.score : '',
    p.kind === 'verification' ? `threshold=${p.threshold}` : `score_threshold=${p.scoreThreshold}`,
    v.method,
    v.verdict,
    correction && 'same' in correction ? (correction.same ? 'same' : 'different') : '',
    v.comment,
    v.correctionRevision ?? '',
    v.kind,
  ];
  const own =
    p.kind === 'verification'
      ? [
          p.imageBPath,
          p.imageBSha256,
          '',
          '',
          p.same ? 'true' : 'false',
          correction && 'same' in correction ? String(correction.same) : '',
        ]
      : [
          '',
          '',
          boxesText(p.boxes, (b) => `${b.className} ${b.score}`),
          correction && 'boxes' in correction ? boxesText(correction.boxes, (b) => `class_id=${b.classId}`) : '',
          '',
          '',
        ];
  return [...head, ...Array<string>(emptyBetween).fill(''), ...own];
}

export interface BoxPairReportRun {
  runId: string;
  verdicts: BoxPairVerdict[];
  current: BoxPairVerdict[];
}

/** The latest verdict per (run, image) or (run, pair), in trail order. */
export function latestBoxPairVerdicts(verdicts: readonly BoxPairVerdict[]): BoxPairVerdict[] {
  const latest = new Map<string, BoxPairVerdict>();
  for (const v of verdicts) {
    const second = v.prediction.kind === 'verification' ? v.prediction.imageB : '';
    latest.set(`${v.runId}\0${v.imageId}\0${second}`, v);
  }
  return [...latest.values()].sort((a, b) => a.id - b.id);
}

const percent = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);

function predictionHtml(v: BoxPairVerdict): string {
  const p = v.prediction;
  if (p.kind === 'verification')
    return `${p.same ? 'same' : 'different'}: similarity ${p.score.toFixed(3)}, threshold ${p.threshold.toFixed(3)}<br>with ${escapeHtml(p.imageBPath)}`;
  const perClass = new Map<string, number>();
  for (const b of p.boxes) perClass.set(b.className, (perClass.get(b.className) ?? 0) + 1);
  const counts = [...perClass].map(([name, n]) => `${n} ${escapeHtml(name)}`).join(', ');
  return `${p.boxes.length} boxes${counts ? ` (${counts})` : ''} at score ≥ ${p.scoreThreshold}`;
}

function correctionHtml(v: BoxPairVerdict): string {
  const c = v.correction;
  if (!c) return '';
  const written = v.correctionRevision !== null ? ', label written' : '';
  return 'same' in c
    ? ` → ${c.same ? 'same' : 'different'}${written}`
    : ` → ${c.boxes.length} boxes corrected${written}`;
}

/** One section per detection or verification run, as the classification runs' (report-html.ts). */
export function boxPairRunsHtml(
  runs: readonly BoxPairReportRun[],
  thumbnails: Map<number, string>,
  identifiers: Map<number, Identifiers> | null,
): string {
  const head = ['Image', 'File and SHA-256', 'Prediction', 'Verdict', 'Comment', 'Reviewer, time'];
  if (identifiers) head.push('DICOM identifiers');
  return runs
    .map((run) => {
      const kind = run.verdicts[0]?.kind === 'verification' ? 'Verification' : 'Detection';
      const stats = agreement(run.current);
      const currentIds = new Set(run.current.map((v) => v.id));
      const rows = run.verdicts.map((v) => {
        const thumb = thumbnails.get(v.imageId);
        const ids = identifiers?.get(v.imageId);
        const cells = [
          thumb ? `<img src="${thumb}" alt="">` : '',
          `${escapeHtml(v.imagePath)}<br><code>${escapeHtml(v.imageSha256)}</code>`,
          predictionHtml(v),
          `<span class="${v.verdict}">${v.verdict}</span>${correctionHtml(v)}`,
          escapeHtml(v.comment),
          `${escapeHtml(v.reviewer)}<br>${escapeHtml(v.createdAt)}`,
        ];
        if (identifiers) cells.push(IDENTIFIER_COLUMNS.map((c) => escapeHtml(ids?.[c] ?? '')).join('<br>'));
        return `<tr class="${currentIds.has(v.id) ? '' : 'superseded'}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
      });
      return `<section>
<h2>${kind} run ${escapeHtml(run.runId)}</h2>
<dl><dt>Weights SHA-256</dt><dd><code>${escapeHtml(run.verdicts.at(-1)?.weightsSha256 ?? '')}</code></dd>
<dt>Agreement</dt><dd>${percent(stats.rate)} (${stats.agree} agree, ${stats.disagree} disagree, ${stats.unsure} unsure, of ${run.current.length} ${kind === 'Verification' ? 'pairs' : 'images'})</dd></dl>
<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
</section>`;
    })
    .join('\n');
}
