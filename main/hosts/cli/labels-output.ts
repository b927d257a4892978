/** What `loupe labels` reads from its options (and the workspace and task they name) and prints beyond the import report. */
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import {
  CSV_COLUMN_ROLES,
  LoupeError,
  type CsvColumnRole,
  type ExportReport,
  type GroupBy,
  type LabelTask,
} from '../../../contract/index';
import type { CliContext } from './context';

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

export function oneOf<T extends string>(values: readonly T[], what: string) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`${what} is one of ${values.join(', ')}.`);
    return value as T;
  };
}

export function parseFractions(value: string): { train: number; val: number; test: number } {
  const parts = value.split(',').map(Number);
  if (parts.length !== 3 || parts.some((v) => !Number.isFinite(v) || v < 0))
    throw new InvalidArgumentError('give three fractions, train,val,test (e.g. 0.7,0.15,0.15).');
  return { train: parts[0]!, val: parts[1]!, test: parts[2]! };
}

export function parseGroupBy(value: string): GroupBy {
  if (value === 'patient' || value === 'image') return { kind: value };
  const [kind, ...rest] = value.split(':');
  const arg = rest.join(':');
  if (kind === 'metadata' && arg) return { kind: 'metadata', field: arg };
  if (kind === 'filename' && arg) return { kind: 'filename', pattern: arg };
  throw new InvalidArgumentError('group by patient, image, metadata:FIELD or filename:REGEX.');
}

export async function openWorkspace(ctx: CliContext, folder: string): Promise<void> {
  await ctx.invoke('workspace.open', { path: path.resolve(folder), create: false });
}

export async function findTask(ctx: CliContext, nameOrId: string): Promise<LabelTask> {
  const { tasks } = await ctx.invoke('labels.tasks', {});
  const task =
    tasks.find((t) => t.name.toLowerCase() === nameOrId.toLowerCase()) ?? tasks.find((t) => String(t.id) === nameOrId);
  if (!task)
    throw new LoupeError(
      'NOT_FOUND',
      `There is no task "${nameOrId}" (tasks: ${tasks.map((t) => t.name).join(', ') || 'none'}).`,
    );
  return task;
}
