/** What `loupe labels` reads from its options and prints beyond the import report. */
import { InvalidArgumentError } from 'commander';
import { CSV_COLUMN_ROLES, type CsvColumnRole, type ExportReport } from '../../../contract/index';

/** `--columns a=left,b=right,same=match`: which CSV column holds what. */
export function parseColumns(value: string): Partial<Record<CsvColumnRole, string>> {
  const columns: Partial<Record<CsvColumnRole, string>> = {};
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    const role = part.slice(0, at).trim() as CsvColumnRole;
    const column = part.slice(at + 1).trim();
    if (at < 0 || !CSV_COLUMN_ROLES.includes(role) || !column)
      throw new InvalidArgumentError(
        `give ROLE=COLUMN pairs separated by commas (roles: ${CSV_COLUMN_ROLES.join(', ')}), e.g. a=left,b=right,same=match.`,
      );
    columns[role] = column;
  }
  return columns;
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** `exported "T" as csv: 4 class tags on 4 images, 1 file in /out`. */
export function exportSummary(taskName: string, report: ExportReport): string {
  const { exported: n } = report;
  const what = [
    plural(n.classTags, 'class tag'),
    plural(n.boxes, 'box', 'boxes'),
    plural(n.masks, 'mask'),
    plural(n.pairs, 'pair'),
  ].filter((_, k) => [n.classTags, n.boxes, n.masks, n.pairs][k]! > 0);
  const labels = what.length ? `${what.join(', ')} on ` : '';
  return `exported "${taskName}" as ${report.format}: ${labels}${plural(report.images, 'image')}, ${plural(report.files, 'file')} in ${report.out}`;
}
