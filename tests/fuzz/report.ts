/** The fuzz run's printout: counts per format and outcome, refusal reasons, and each finding with how to reproduce it. */
import type { FuzzReport } from './runner';

const pad = (value: string | number, width: number): string => String(value).padStart(width);

export function formatReport(report: FuzzReport): string {
  const lines = [
    `Loupe import fuzz: seed ${report.seed}, cases ${report.first}–${report.first + report.files - 1} (${report.files} files), ${report.seconds.toFixed(0)} s, peak memory ${Math.round(report.peakRssBytes / 1024 ** 2)} MiB`,
    '',
    `${'format'.padEnd(8)}${pad('files', 8)}${pad('imported', 10)}${pad('refused', 9)}${pad('FINDINGS', 10)}`,
  ];
  const total = { imported: 0, refused: 0, findings: 0 };
  for (const [format, c] of Object.entries(report.counts).sort()) {
    lines.push(
      `${format.padEnd(8)}${pad(c.imported + c.refused + c.findings, 8)}${pad(c.imported, 10)}${pad(c.refused, 9)}${pad(c.findings, 10)}`,
    );
    total.imported += c.imported;
    total.refused += c.refused;
    total.findings += c.findings;
  }
  lines.push(
    `${'all'.padEnd(8)}${pad(total.imported + total.refused + total.findings, 8)}${pad(total.imported, 10)}${pad(total.refused, 9)}${pad(total.findings, 10)}`,
  );
  lines.push('', 'Refusals by reason:');
  for (const [reason, n] of Object.entries(report.reasons).sort()) lines.push(`  ${pad(n, 6)}  ${reason}`);
  if (report.findings.length)
    lines.push('', 'FINDINGS (reproduce one with FUZZ_SEED=<seed> FUZZ_FIRST=<case> FUZZ_FILES=1 npm run fuzz):');
  for (const f of report.findings) {
    lines.push(`  case ${f.index} [${f.kind}] ${f.format} from ${f.seedName}: ${f.what.join('; ')}`);
    lines.push(`      message: ${f.message}`);
    if (f.detail) lines.push(`      detail:  ${f.detail}`);
  }
  return lines.join('\n');
}
