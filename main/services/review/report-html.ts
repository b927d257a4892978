/**
 * The review as one HTML file: no scripts, no external files (thumbnails are data: URIs), styled
 * for the screen and for the browser's "Print to PDF" (A4, rows never split across pages). Every
 * string from the workspace is escaped: file names, comments and class names are user text.
 */
import type { ModelCard, ReviewVerdict } from '../../../contract/index';
import { agreement, IDENTIFIER_COLUMNS, type Identifiers } from './verdict-summary';

export interface ReportRun {
  runId: string;
  card: ModelCard | null;
  /** The run's whole trail, oldest first. */
  verdicts: ReviewVerdict[];
  /** The latest verdict per image. */
  current: ReviewVerdict[];
}

export interface ReportInput {
  generatedAt: string;
  runs: ReportRun[];
  thumbnails: Map<number, string>;
  identifiers: Map<number, Identifiers> | null;
  /** Sections of other kinds of run (segmentation: report-masks.ts), after the classification ones. */
  otherSections?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const percent = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);

const STYLE = `
  body { font: 13px/1.4 system-ui, sans-serif; color: #111; margin: 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #999; }
  .muted { color: #555; } code { font-size: 11px; word-break: break-all; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; } dt { font-weight: 600; }
  table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
  th { background: #eee; } img { width: 64px; height: 64px; object-fit: contain; background: #000; } svg.mask-thumb { background: #000; }
  .agree { color: #11632a; } .disagree { color: #a11; } .unsure { color: #8a5a00; } .superseded { opacity: 0.55; }
  @page { size: A4; margin: 12mm; }
  @media print { body { margin: 0; } tr, dl { break-inside: avoid; } thead { display: table-header-group; } h2 { break-after: avoid; } }
`;

function cardSummary(run: ReportRun): string {
  const card = run.card;
  const stats = agreement(run.current);
  const weights = run.verdicts.at(-1)?.weightsSha256 ?? '';
  const rows: [string, string][] = [
    ['Run', escapeHtml(run.runId)],
    ['Weights SHA-256', `<code>${escapeHtml(weights)}</code>`],
    [
      'Agreement',
      `${percent(stats.rate)} (${stats.agree} agree, ${stats.disagree} disagree, ${stats.unsure} unsure, of ${run.current.length} images)`,
    ],
  ];
  if (card) {
    rows.push(['Task', `${escapeHtml(card.task)}: ${card.classes.map(escapeHtml).join(', ')}`]);
    rows.push([
      'Model',
      `${escapeHtml(card.model.architecture)}, input ${card.input.rows}×${card.input.columns}×${card.input.channels}, ${card.run.epochsTrained} epochs`,
    ]);
    rows.push([
      'Data',
      `${card.dataset.counts.train} train, ${card.dataset.counts.val} validation, ${card.dataset.counts.test} test images`,
    ]);
    if (card.metrics?.task === 'classification')
      rows.push(['Test accuracy', `${percent(card.metrics.accuracy)} on ${card.metrics.count} images`]);
    if (card.calibration) {
      const c = card.calibration;
      rows.push([
        'Calibration',
        `temperature ${c.temperature.toFixed(3)} fitted on ${c.images} validation images; ECE ${c.eceBefore.toFixed(3)} → ${c.eceAfter.toFixed(3)} (${c.bins} bins). Probabilities shown are calibrated.`,
      ]);
    }
    rows.push(['Trained', `${escapeHtml(card.createdAt)} with ${escapeHtml(card.versions.backend)}`]);
  } else {
    rows.push(['Model card', 'not available (the run or its model was deleted)']);
  }
  return `<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function verdictRow(v: ReviewVerdict, input: ReportInput, current: boolean): string {
  const thumb = input.thumbnails.get(v.imageId);
  const p = v.prediction;
  const ids = input.identifiers?.get(v.imageId);
  const cells = [
    thumb ? `<img src="${thumb}" alt="">` : '',
    `${escapeHtml(v.imagePath)}<br><code>${escapeHtml(v.imageSha256)}</code>`,
    `${escapeHtml(p.predictedClass)} ${percent(p.probabilities[p.predicted] ?? null)}`,
    `<span class="${v.verdict}">${v.verdict}</span>${v.correctClass ? ` → ${escapeHtml(v.correctClass)}` : ''}${v.correctionRevision !== null ? ' (label written)' : ''}`,
    escapeHtml(v.comment),
    `${escapeHtml(v.reviewer)}<br>${escapeHtml(v.createdAt)}`,
  ];
  if (input.identifiers) cells.push(IDENTIFIER_COLUMNS.map((c) => escapeHtml(ids?.[c] ?? '')).join('<br>'));
  return `<tr class="${current ? '' : 'superseded'}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

export function reviewHtml(input: ReportInput): string {
  const head = [
    'Image',
    'File and SHA-256',
    'Prediction',
    'Verdict',
    'Comment',
    'Reviewer, time',
    ...(input.identifiers ? ['DICOM identifiers'] : []),
  ];
  const sections = input.runs.map((run) => {
    const currentIds = new Set(run.current.map((v) => v.id));
    return `<section>
<h2>Run ${escapeHtml(run.runId)}</h2>
${cardSummary(run)}
<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${run.verdicts.map((v) => verdictRow(v, input, currentIds.has(v.id))).join('\n')}</tbody></table>
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Loupe review report</title>
<meta name="viewport" content="width=device-width">
<style>${STYLE}</style></head>
<body>
<h1>Review report</h1>
<p class="muted">Generated ${escapeHtml(input.generatedAt)} by Loupe. Every verdict of the audit trail is listed, oldest first; a verdict later changed is shown faded.${input.identifiers ? ' DICOM identifiers are included, as asked.' : ' Identifying DICOM tags are left out.'}</p>
${sections.join('\n')}
${input.otherSections ?? ''}
</body></html>
`;
}
