/** `loupe export`'s text output: one export's summary, and a run's comparison as an aligned table. */
import type { ExportComparison, ReplyOf } from '../../../contract/index';

export function exportSummary(reply: ReplyOf<'training.export'>): string[] {
  const { parity } = reply;
  const bound = parity.tolerance === null ? '' : ` (≤ ${parity.tolerance})`;
  const lines = [
    `${reply.format} model: ${(reply.modelBytes / 1024).toFixed(0)} KiB in ${reply.outDir} (${reply.files.join(', ')})`,
    `parity on ${parity.images} ${parity.split} image(s) with ${parity.runtime}: max |difference| ${parity.maxAbsDiff.toExponential(2)}${bound}, ${parity.samePredictions}/${parity.images} predictions the same`,
  ];
  const int8 = parity.int8;
  if (int8) {
    const accuracy =
      int8.accuracyFp32 === null
        ? ''
        : `; accuracy ${int8.accuracyInt8!.toFixed(4)} (fp32 ${int8.accuracyFp32.toFixed(4)})`;
    lines.push(
      `int8: calibrated on ${int8.calibrationImages} training image(s) (${int8.calibrationMethod}); ${int8.sizeRatio.toFixed(3)}× the fp32 file${accuracy}`,
    );
  }
  return lines;
}

const metricText = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));

export function comparisonTable(comparison: ExportComparison): string[] {
  const { metric } = comparison;
  const header = ['variant', metric.name, 'size', 'ms/image', 'images/s', 'max |diff|', 'same'];
  const rows = comparison.rows.map((r) => [
    r.source.kind === 'this run'
      ? `${r.format} (${r.precision})`
      : `${r.source.kind} ${r.source.runId}, ${r.source.detail}: ${r.format} (${r.precision})`,
    metricText(r.metric),
    `${(r.modelBytes / 1024).toFixed(0)} KiB`,
    r.latencyMs.toFixed(2),
    r.imagesPerSecond.toFixed(0),
    r.parity.maxAbsDiff.toExponential(2),
    `${r.parity.samePredictions}/${r.parity.images}`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [
    `comparison on ${comparison.images} ${comparison.split} image(s) with ${comparison.runtime}; Loupe's own model: ${metric.name} ${metricText(comparison.loupeMetric)}${metric.lowerIsBetter ? ' (lower is better)' : ''}`,
    line(header),
    ...rows.map(line),
    ...comparison.skipped.map((s) => `not compared: ${s.kind} run ${s.runId}: ${s.reason}`),
  ];
}
