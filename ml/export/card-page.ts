/**
 * The bundle's model card as a page a person reads (model-card.md): what the model does, what it
 * takes and gives, how it scored, and how the export was checked. Made from the same facts as
 * model-card.json, so it holds nothing the JSON card does not: no image path, no DICOM tag, no
 * patient identifier — the dataset appears only as counts and hashes.
 */
import type { EvaluationReport, ExportParity, ModelCard } from '../../contract/index';
import type { OnnxExport } from './onnx-export';

export interface CardPageFacts {
  format: string;
  precision: string;
  preprocessingBaked: boolean;
  input: OnnxExport['input'];
  output: OnnxExport['output'];
  parity: ExportParity;
  /** The bundle's files, the model first. */
  files: readonly string[];
}

/** Markdown-safe text for a table cell or a line (class names are the user's own words). */
function text(value: string): string {
  return value.replace(/[\\`*_|<>[\]#]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
}

const percent = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);

/** The headline numbers of the run's own test evaluation. */
function scoreLines(report: EvaluationReport | null): string[] {
  if (!report) return ['The run had no test split; there is no test score.'];
  const on = `on ${report.count} ${report.split} image(s)`;
  switch (report.task) {
    case 'classification':
      return [`- Accuracy ${percent(report.accuracy)} ${on}; macro F1 ${percent(report.macro.f1)}.`];
    case 'segmentation':
      return [`- Mean Dice ${percent(report.meanDice)}, mean IoU ${percent(report.meanIou)} ${on}.`];
    case 'detection':
      return [`- mAP@0.5 ${percent(report.mAP50)}, mAP@[.5:.95] ${percent(report.mAP)} ${on}.`];
    case 'verification':
      return [`- EER ${percent(report.eer)}, ROC AUC ${percent(report.auc)} ${on}.`];
  }
}

function intensityText(card: ModelCard): string {
  const i = card.preprocessing.intensity;
  switch (i.mode) {
    case 'window':
      return `window centre ${i.window.center}, width ${i.window.width}, to [0, 1]`;
    case 'range':
      return `values ${i.min}…${i.max} to [0, 1], clipped`;
    case 'per-image':
      return "each image's own minimum…maximum to [0, 1]";
    case 'dtype':
      return "the stored type's full range to [0, 1]";
    default:
      return i.mode;
  }
}

function parityLines(p: ExportParity, precision: string): string[] {
  const lines = [
    `Checked by ${text(p.runtime)} against Loupe's own predictions on ${p.images} ${p.split} image(s): largest |difference| of the raw outputs ${p.maxAbsDiff.toExponential(2)}${p.tolerance === null ? '' : ` (bound ${p.tolerance})`}, ${p.samePredictions} of ${p.images} predictions the same. ${p.passed ? 'The check passed.' : 'The check did not pass.'}`,
  ];
  if (p.int8)
    lines.push(
      '',
      `int8: weights and activations quantized (${text(precision.replace(/^int8\s*/, ''))}), activations calibrated on ${p.int8.calibrationImages} training image(s) (${p.int8.calibrationMethod}); the file is ${p.int8.sizeRatio.toFixed(3)}× the fp32 one. Accuracy on the check images: ${percent(p.int8.accuracyInt8)} in int8, ${percent(p.int8.accuracyFp32)} in fp32.`,
    );
  return lines;
}

export function modelCardMarkdown(card: ModelCard, facts: CardPageFacts): string {
  const classes = card.classes.map(text).join(', ') || '(none)';
  const counts = card.dataset.counts;
  const lines = [
    `# Loupe ${card.task} model — ${text(card.model.architecture)}`,
    '',
    `Run ${text(card.run.runId)}, exported as ${text(facts.format)} (${text(facts.precision)}). Classes: ${classes}.`,
    '',
    '## Input and output',
    '',
    `- Input \`${facts.input.name}\` ${JSON.stringify(facts.input.shape)}: ${text(facts.input.description)}`,
    `- Output \`${facts.output.name}\` ${JSON.stringify(facts.output.shape)}: ${text(facts.output.description)}`,
    `- Preprocessing: resize (${card.preprocessing.resize}) to ${card.input.rows}×${card.input.columns}, ${card.input.channels} channel(s); intensity ${intensityText(card)}${card.preprocessing.normalize ? `, then standardised (mean ${card.preprocessing.normalize.mean.join(', ')}, std ${card.preprocessing.normalize.std.join(', ')})` : ''}. ${facts.preprocessingBaked ? 'The graph does the intensity scaling itself: give it modality values.' : 'The caller scales the intensities before the graph.'}`,
    '',
    '## How it scored',
    '',
    ...scoreLines(card.metrics),
    `- Trained on ${counts.train} image(s), validated on ${counts.val}, tested on ${counts.test}; ${card.run.epochsTrained} epoch(s), seed ${card.run.seed}.`,
    `- Dataset hash ${card.dataset.datasetHash.slice(0, 16)}…, label hash ${card.dataset.labelHash.slice(0, 16)}… (the full hashes are in model-card.json).`,
    '',
    '## Export check',
    '',
    ...parityLines(facts.parity, facts.precision),
    '',
    '## Files',
    '',
    ...facts.files.map((f) => `- ${text(f)}`),
    '',
    `Made by Loupe (tfjs ${text(card.versions.tfjs)}, trained on the ${text(card.versions.backend)} backend). No image path, DICOM tag or patient identifier is part of this card.`,
    '',
  ];
  return lines.join('\n');
}
