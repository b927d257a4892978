/**
 * Verdicts on segmentation runs in the review exports: their CSV cells, and their HTML section,
 * where each image's thumbnail carries the outline of the predicted mask (and of the reviewer's
 * correct mask, when a "disagree" gave one), drawn in image pixels over the thumbnail as SVG so the
 * page stays one self-contained file.
 */
import { boundaryLoops, type LabelMask } from '../../../contract/geometry/index';
import type { MaskVerdict } from '../../../contract/index';
import { escapeHtml } from './report-html';
import { agreement, IDENTIFIER_COLUMNS, verdictLeadCells, type Identifiers } from './verdict-summary';

/** Columns only segmentation verdicts fill, after the classification ones. */
export const MASK_CSV_COLUMNS = ['run_kind', 'mean_entropy', 'dice', 'correct_mask_sha256', 'changed_pixels'];

/** A segmentation verdict as cells of the shared CSV header (classification cells left empty). */
export function maskVerdictCells(v: MaskVerdict): (string | number)[] {
  const pixels = v.prediction.classes.map((name, i) => `${name}=${v.prediction.classPixels[i] ?? 0}`).join(';');
  return [
    ...verdictLeadCells(v),
    '',
    '',
    pixels,
    v.method,
    v.verdict,
    '',
    v.comment,
    v.correctionRevision ?? '',
    'segmentation',
    v.prediction.meanEntropy,
    v.dice ?? '',
    v.correctMask?.sha256 ?? '',
    v.correctMask?.changedPixels ?? '',
  ];
}

export interface MaskReportRun {
  runId: string;
  verdicts: MaskVerdict[];
  current: MaskVerdict[];
}

/** The masks kept with each verdict (mask-trail.ts), decoded. */
export interface VerdictOutlines {
  predicted: LabelMask | null;
  correct: LabelMask | null;
}

/** Outline colours: the model's mask, and the reviewer's. */
const PREDICTED_STROKE = '#ffd400';
const CORRECT_STROKE = '#17c964';

/** SVG path data of every labelled region's boundary, in pixel-corner coordinates. */
function outlinePath(mask: LabelMask): string {
  const values = new Set<number>();
  for (const v of mask.data) if (v) values.add(v);
  return [...values]
    .flatMap((value) => boundaryLoops(mask, value))
    .map((loop) => {
      const points: string[] = [];
      for (let i = 0; i < loop.length; i += 2) points.push(`${loop[i]} ${loop[i + 1]}`);
      return `M${points.join('L')}Z`;
    })
    .join('');
}

function thumbnailWithOutline(thumb: string | undefined, masks: VerdictOutlines | undefined): string {
  const size = masks?.predicted ?? masks?.correct;
  if (!size) return thumb ? `<img src="${thumb}" alt="">` : '';
  const { width, height } = size;
  // The stroke stays ~1.5 screen pixels whatever the image size: the SVG is drawn at 64 px.
  const stroke = (1.5 * Math.max(width, height)) / 64;
  const path = (mask: LabelMask | null, colour: string, dash: string) =>
    mask ? `<path d="${outlinePath(mask)}" fill="none" stroke="${colour}" stroke-width="${stroke}" ${dash}/>` : '';
  return `<svg class="mask-thumb" viewBox="0 0 ${width} ${height}" width="64" height="64" role="img" aria-label="thumbnail with mask outline">${
    thumb ? `<image href="${thumb}" width="${width}" height="${height}" preserveAspectRatio="none"/>` : ''
  }${path(masks!.predicted, PREDICTED_STROKE, '')}${path(masks!.correct, CORRECT_STROKE, `stroke-dasharray="${2 * stroke}"`)}</svg>`;
}

const percent = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);

function verdictRow(
  v: MaskVerdict,
  current: boolean,
  thumbnails: Map<number, string>,
  outlines: Map<number, VerdictOutlines>,
  identifiers: Map<number, Identifiers> | null,
): string {
  const foreground = v.prediction.classes
    .slice(1)
    .map((name, i) => `${escapeHtml(name)} ${v.prediction.classPixels[i + 1] ?? 0} px`)
    .join(', ');
  const correction = v.correctMask
    ? ` → mask corrected (${v.correctMask.changedPixels} pixels changed)${v.correctionRevision !== null ? ', label written' : ''}`
    : '';
  const cells = [
    thumbnailWithOutline(thumbnails.get(v.imageId), outlines.get(v.id)),
    `${escapeHtml(v.imagePath)}<br><code>${escapeHtml(v.imageSha256)}</code>`,
    `${foreground}<br>mean entropy ${v.prediction.meanEntropy.toFixed(3)} nats<br>Dice vs label ${percent(v.dice)}`,
    `<span class="${v.verdict}">${v.verdict}</span>${correction}`,
    escapeHtml(v.comment),
    `${escapeHtml(v.reviewer)}<br>${escapeHtml(v.createdAt)}`,
  ];
  const ids = identifiers?.get(v.imageId);
  if (identifiers) cells.push(IDENTIFIER_COLUMNS.map((c) => escapeHtml(ids?.[c] ?? '')).join('<br>'));
  return `<tr class="${current ? '' : 'superseded'}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

/** One section per segmentation run, as the classification runs' (report-html.ts). */
export function maskRunsHtml(
  runs: readonly MaskReportRun[],
  thumbnails: Map<number, string>,
  outlines: Map<number, VerdictOutlines>,
  identifiers: Map<number, Identifiers> | null,
): string {
  const head = [
    'Image (yellow: predicted, green dashed: corrected)',
    'File and SHA-256',
    'Prediction',
    'Verdict',
    'Comment',
    'Reviewer, time',
    ...(identifiers ? ['DICOM identifiers'] : []),
  ];
  return runs
    .map((run) => {
      const stats = agreement(run.current);
      const currentIds = new Set(run.current.map((v) => v.id));
      return `<section>
<h2>Segmentation run ${escapeHtml(run.runId)}</h2>
<dl><dt>Weights SHA-256</dt><dd><code>${escapeHtml(run.verdicts.at(-1)?.weightsSha256 ?? '')}</code></dd>
<dt>Agreement</dt><dd>${percent(stats.rate)} (${stats.agree} agree, ${stats.disagree} disagree, ${stats.unsure} unsure, of ${run.current.length} images)</dd></dl>
<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${run.verdicts.map((v) => verdictRow(v, currentIds.has(v.id), thumbnails, outlines, identifiers)).join('\n')}</tbody></table>
</section>`;
    })
    .join('\n');
}
