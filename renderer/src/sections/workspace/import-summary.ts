/** The import's one-line outcome, worded as the CLI words it ("1 duplicate skipped", "2 duplicates skipped"). */
import type { ImportProgress, ImportReport } from '../../../../contract/index';

function duplicates(n: number): string {
  return `${n} duplicate${n === 1 ? '' : 's'}`;
}

/** DICOM objects that are not images (reports, DICOMDIR, ...): named only when there are some. */
function notImages(n: number): string {
  return n > 0 ? `${n} not an image, ` : '';
}

export function importSummary(report: Pick<ImportReport, 'imported' | 'duplicates' | 'skipped' | 'failed' | 'cancelled'>): string {
  return `${report.cancelled ? 'Import cancelled: ' : ''}${report.imported} imported, ${duplicates(report.duplicates)} skipped, ${notImages(report.skipped)}${report.failed} failed`;
}

export function importProgressLine(progress: ImportProgress): string {
  const where = progress.phase === 'scanning' ? `Looking for files… ${progress.total} found` : `${progress.done} of ${progress.total}`;
  const skipped = progress.skipped > 0 ? ` · ${progress.skipped} not an image` : '';
  return `${where} · ${progress.imported} imported · ${duplicates(progress.duplicates)}${skipped} · ${progress.failed} failed`;
}
