/** The import's one-line outcome, worded as the CLI words it ("1 duplicate skipped", "2 duplicates skipped"). */
import type { ImportOutcome, ImportProgress, ImportReport } from '../../../../contract/index';

function duplicates(n: number): string {
  return `${n} duplicate${n === 1 ? '' : 's'}`;
}

/** DICOM objects that are not images (reports, DICOMDIR, ...): named only when there are some. */
function notImages(n: number): string {
  return n > 0 ? `${n} not an image, ` : '';
}

export function importSummary(
  report: Pick<ImportReport, 'imported' | 'duplicates' | 'skipped' | 'failed' | 'cancelled' | 'stopped'>,
): string {
  const prefix = report.stopped ? 'Import stopped: ' : report.cancelled ? 'Import cancelled: ' : '';
  return `${prefix}${report.imported} imported, ${duplicates(report.duplicates)} skipped, ${notImages(report.skipped)}${report.failed} failed`;
}

/**
 * The files the report lists one by one: failed, skipped and duplicate ones, except those that
 * failed because the disk filled up; the report's one `stopped` message speaks for them all.
 */
export function reportProblems(report: Pick<ImportReport, 'files'>): ImportOutcome[] {
  return report.files.filter((f) => f.status !== 'imported' && f.failure !== 'disk-full');
}

export function importProgressLine(progress: ImportProgress): string {
  const where =
    progress.phase === 'scanning'
      ? `Looking for files… ${progress.total} found`
      : `${progress.done} of ${progress.total}`;
  const skipped = progress.skipped > 0 ? ` · ${progress.skipped} not an image` : '';
  return `${where} · ${progress.imported} imported · ${duplicates(progress.duplicates)}${skipped} · ${progress.failed} failed`;
}
