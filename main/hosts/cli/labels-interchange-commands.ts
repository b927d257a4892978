/** `loupe labels export` and `loupe labels import`: a task's labels to and from the interchange formats. */
import path from 'node:path';
import type { Command } from 'commander';
import {
  LABEL_FORMAT_KINDS,
  LABEL_FORMATS,
  LoupeError,
  SPLITS,
  TASK_KINDS,
  type CsvColumnRole,
  type LabelFormat,
  type LabelsImportReport,
  type LabelTask,
  type SplitName,
  type TaskKind,
} from '../../../contract/index';
import type { CliContext } from './context';
import { exportSummary, findTask, oneOf, openWorkspace, parseColumns, plural } from './labels-output';
import { progressLine } from './progress';

/** Which task kinds each format carries (the contract's list), so the CLI can pick a task. */
const FORMAT_KINDS = LABEL_FORMAT_KINDS;

function printReport(report: LabelsImportReport): void {
  const { imported: n } = report;
  const what = [
    [n.classTags, 'class tags'],
    [n.boxes, 'boxes'],
    [n.masks, 'masks'],
    [n.pairs, 'pairs'],
  ]
    .filter(([k]) => (k as number) > 0)
    .map(([k, w]) => `${k} ${w}`)
    .join(', ');
  console.log(
    `${report.dryRun ? 'would import' : 'imported'} ${what || 'nothing'} for ${report.images} images into "${report.taskName}"${report.createdTask ? ' (new task)' : ''}`,
  );
  if (report.imagesAdded)
    console.log(`${report.dryRun ? 'would add' : 'added'} ${plural(report.imagesAdded, 'image')} to the workspace`);
  if (report.splitsAssigned)
    console.log(`placed in train/val/test by the import: ${plural(report.splitsAssigned, 'image')}`);
  if (report.classesCreated.length) console.log(`new classes: ${report.classesCreated.join(', ')}`);
  if (report.skippedTotal) {
    console.error(`skipped ${report.skippedTotal}:`);
    for (const s of report.skipped) console.error(`  ${s.where}: ${s.reason}`);
    if (report.skippedTotal > report.skipped.length)
      console.error(`  … and ${report.skippedTotal - report.skipped.length} more`);
  }
}

export function registerInterchangeCommands(
  labels: Command,
  context: () => CliContext,
  withWorkspace: (c: Command) => Command,
): void {
  withWorkspace(labels.command('export').description('Export a task’s labels into a folder.'))
    .requiredOption('--format <format>', LABEL_FORMATS.join(' | '), oneOf(LABEL_FORMATS, 'format'))
    .requiredOption('--out <folder>', 'where to write')
    .option('--task <task>', 'task name or id (needed when several tasks fit the format)')
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; format: LabelFormat; out: string; task?: string; json?: boolean }) => {
      const ctx = context();
      await openWorkspace(ctx, o.workspace);
      let task: LabelTask;
      if (o.task) task = await findTask(ctx, o.task);
      else {
        const fits = (await ctx.invoke('labels.tasks', {})).tasks.filter((t) =>
          FORMAT_KINDS[o.format].includes(t.kind),
        );
        if (fits.length !== 1) {
          throw new LoupeError(
            'INVALID_REQUEST',
            fits.length
              ? `Several tasks fit ${o.format} (${fits.map((t) => t.name).join(', ')}): choose one with --task.`
              : `No task holds ${FORMAT_KINDS[o.format].join(' or ')} labels for ${o.format}.`,
          );
        }
        task = fits[0]!;
      }
      const bar = progressLine('export');
      const report = await ctx.invoke(
        'labels.export',
        { taskId: task.id, format: o.format, out: path.resolve(o.out) },
        (p) => bar.update(p.done, p.total),
      );
      bar.done();
      if (o.json) return console.log(JSON.stringify(report, null, 2));
      console.log(exportSummary(task.name, report));
    });

  withWorkspace(
    labels
      .command('import')
      .description('Import labels into a task (made when missing); all or nothing, with a report of what was skipped.'),
  )
    .requiredOption('--format <format>', LABEL_FORMATS.join(' | '), oneOf(LABEL_FORMATS, 'format'))
    .argument('[path]', 'the same as --in')
    .option('--in <path>', 'the COCO JSON / CSV file, or the YOLO / VOC / masks / imagefolder / image-mask folder')
    .requiredOption('--task <task>', 'task name (made when missing) or id')
    .option('--kind <kind>', 'kind of a new task (inferred from the file otherwise)', oneOf(TASK_KINDS, 'kind'))
    .option(
      '--split <split>',
      'put every image the file labels in this split (a file per split, e.g. COCO instances_val.json)',
      oneOf(SPLITS, 'split'),
    )
    .option('--dry-run', 'report what would be imported, change nothing')
    .option(
      '--skip-malformed',
      'leave images with malformed labels untouched and report them (by default a malformed label refuses the whole import)',
    )
    .option(
      '--columns <role=column,…>',
      'CSV: which column holds what (a, b, same for pairs; image, class, split for classes), e.g. a=left,b=right,same=match',
      parseColumns,
    )
    .option('--json', 'print the report as JSON')
    .action(
      async (
        input: string | undefined,
        o: {
          workspace: string;
          format: LabelFormat;
          in?: string;
          task: string;
          kind?: TaskKind;
          split?: SplitName;
          dryRun?: boolean;
          skipMalformed?: boolean;
          columns?: Partial<Record<CsvColumnRole, string>>;
          json?: boolean;
        },
      ) => {
        if ((input === undefined) === (o.in === undefined))
          throw new LoupeError(
            'INVALID_REQUEST',
            'Give the file or folder to import once: as --in PATH or as the last argument.',
          );
        const ctx = context();
        await openWorkspace(ctx, o.workspace);
        const { tasks } = await ctx.invoke('labels.tasks', {});
        const existing =
          tasks.find((t) => t.name.toLowerCase() === o.task.toLowerCase()) ??
          tasks.find((t) => String(t.id) === o.task);
        const bar = progressLine('import');
        const report = await ctx.invoke(
          'labels.import',
          {
            format: o.format,
            path: path.resolve((o.in ?? input)!),
            ...(existing ? { taskId: existing.id } : { taskName: o.task }),
            ...(o.kind ? { kind: o.kind } : {}),
            ...(o.split ? { split: o.split } : {}),
            dryRun: o.dryRun ?? false,
            skipMalformed: o.skipMalformed ?? false,
            ...(o.columns ? { columns: o.columns } : {}),
          },
          (p) => bar.update(p.done, p.total),
        );
        bar.done();
        if (o.json) console.log(JSON.stringify(report, null, 2));
        else printReport(report);
        // The service refuses such an import before committing; a dry run only reports it.
        if (report.images === 0 && report.skippedTotal > 0)
          throw new LoupeError('INVALID_REQUEST', 'Nothing could be imported; see the reasons above.');
      },
    );
}
