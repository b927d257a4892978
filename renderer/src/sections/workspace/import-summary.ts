/** The import's one-line outcome, worded as the CLI words it ("1 duplicate skipped", "2 duplicates skipped"). */
import type { ImportProgress, ImportReport } from '../../../../contract/index';

function duplicates(n: number): string {
  return `${n} duplicate${n === 1 ? '' : 's'}`;
}

export function importSummary(report: Pick<ImportReport, 'imported' | 'duplicates' | 'failed' | 'cancelled'>): string {
  return `${report.cancelled ? 'Import cancelled: ' : ''}${report.imported} imported, ${duplicates(report.duplicates)} skipped, ${report.failed} failed`;
}

export function importProgressLine(progress: ImportProgress): string {
  const where = progress.phase === 'scanning' ? `Looking for files… ${progress.total} found` : `${progress.done} of ${progress.total}`;
  return `${where} · ${progress.imported} imported · ${duplicates(progress.duplicates)} · ${progress.failed} failed`;
}
