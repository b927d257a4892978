/**
 * `loupe labels …`: tasks, classes, splits, import and export from the command line, through the
 * same channels (and so the same validation and the same all-or-nothing imports) as the UI.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  LABEL_FORMAT_KINDS,
  LABEL_FORMATS,
  LoupeError,
  type CsvColumnRole,
  TASK_KINDS,
  type GroupBy,
  type LabelsImportReport,
  type LabelFormat,
  type LabelTask,
  type TaskKind,
} from '../../../contract/index';
import type { CliContext } from './context';
import { exportSummary, parseColumns, plural } from './labels-output';
import { progressLine } from './progress';

/** Which task kinds each format carries (the contract's list), so the CLI can pick a task. */
const FORMAT_KINDS = LABEL_FORMAT_KINDS;

function oneOf<T extends string>(values: readonly T[], what: string) {
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

async function openWorkspace(ctx: CliContext, folder: string): Promise<void> {
  await ctx.invoke('workspace.open', { path: path.resolve(folder), create: false });
}

async function findTask(ctx: CliContext, nameOrId: string): Promise<LabelTask> {
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
  if (report.splitsAssigned) console.log(`split from the file: ${plural(report.splitsAssigned, 'image')}`);
  if (report.classesCreated.length) console.log(`new classes: ${report.classesCreated.join(', ')}`);
  if (report.skippedTotal) {
    console.error(`skipped ${report.skippedTotal}:`);
    for (const s of report.skipped) console.error(`  ${s.where}: ${s.reason}`);
    if (report.skippedTotal > report.skipped.length)
      console.error(`  … and ${report.skippedTotal - report.skipped.length} more`);
  }
}

export function registerLabelsCommands(program: Command, context: () => CliContext): void {
  const labels = program
    .command('labels')
    .description(
      'Label tasks, classes, splits, and import/export (COCO, YOLO, VOC, mask PNGs, CSV, image folders, image + mask folders).',
    );
  const withWorkspace = (c: Command): Command => c.requiredOption('--workspace <folder>', 'the workspace folder');

  withWorkspace(labels.command('tasks').description('List the label tasks and their classes.'))
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; json?: boolean }) => {
      const ctx = context();
      await openWorkspace(ctx, o.workspace);
      const { tasks } = await ctx.invoke('labels.tasks', {});
      if (o.json) return console.log(JSON.stringify(tasks, null, 2));
      if (tasks.length === 0) console.log('no label tasks');
      for (const t of tasks)
        console.log(
          `${t.id}\t${t.name}\t${t.kind}${t.multiLabel ? ' (multi-label)' : ''}\t${t.classes.map((c) => c.name).join(', ')}`,
        );
    });

  withWorkspace(labels.command('create-task').description('Create a label task.'))
    .requiredOption('--name <name>', 'task name')
    .requiredOption('--kind <kind>', TASK_KINDS.join(' | '), oneOf(TASK_KINDS, 'kind'))
    .option('--multi-label', 'classification: an image may carry several classes')
    .option('--classes <names>', 'comma-separated class names, in key order')
    .action(async (o: { workspace: string; name: string; kind: TaskKind; multiLabel?: boolean; classes?: string }) => {
      const ctx = context();
      await openWorkspace(ctx, o.workspace);
      const classes = (o.classes ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((name) => ({ name }));
      const task = await ctx.invoke('labels.createTask', {
        name: o.name,
        kind: o.kind,
        multiLabel: o.multiLabel ?? false,
        classes,
      });
      console.log(`created task ${task.id} "${task.name}" (${task.kind}) with ${task.classes.length} classes`);
    });

  withWorkspace(labels.command('add-class').description('Add a class to a task.'))
    .requiredOption('--task <task>', 'task name or id')
    .requiredOption('--name <name>', 'class name')
    .option('--color <#rrggbb>', 'colour (a free one is chosen otherwise)')
    .action(async (o: { workspace: string; task: string; name: string; color?: string }) => {
      const ctx = context();
      await openWorkspace(ctx, o.workspace);
      const task = await findTask(ctx, o.task);
      const cls = await ctx.invoke('labels.addClass', {
        taskId: task.id,
        name: o.name,
        ...(o.color ? { color: o.color } : {}),
      });
      console.log(
        `added class ${cls.id} "${cls.name}" ${cls.color}${cls.maskIndex ? ` (mask value ${cls.maskIndex})` : ''}`,
      );
    });

  withWorkspace(
    labels.command('delete-class').description('Show what deleting a class would remove; delete it with --yes.'),
  )
    .requiredOption('--task <task>', 'task name or id')
    .requiredOption('--class <name>', 'class name')
    .option('--yes', 'delete, after showing the count')
    .action(async (o: { workspace: string; task: string; class: string; yes?: boolean }) => {
      const ctx = context();
      await openWorkspace(ctx, o.workspace);
      const task = await findTask(ctx, o.task);
      const cls = task.classes.find((c) => c.name.toLowerCase() === o.class.toLowerCase());
      if (!cls) throw new LoupeError('NOT_FOUND', `"${task.name}" has no class "${o.class}".`);
      const loss = await ctx.invoke('labels.classLoss', { classId: cls.id });
      console.log(
        `"${cls.name}" has ${loss.classTags} class tags, ${loss.boxes} boxes, ${loss.maskPixels} mask pixels in ${loss.masks} masks, on ${loss.images} images`,
      );
      if (!o.yes) return console.log('nothing deleted (add --yes to delete)');
      await ctx.invoke('labels.deleteClass', { classId: cls.id, confirm: loss });
      console.log(`deleted "${cls.name}"`);
    });

  withWorkspace(
    labels.command('split').description('Assign train/val/test, stratified by class and grouped (patient by default).'),
  )
    .requiredOption('--task <task>', 'task name or id')
    .option('--fractions <train,val,test>', 'fractions adding up to 1', parseFractions, {
      train: 0.7,
      val: 0.15,
      test: 0.15,
    })
    .option('--group-by <how>', 'patient | image | metadata:FIELD | filename:REGEX', parseGroupBy, {
      kind: 'patient',
    } as GroupBy)
    .option('--seed <n>', 'random seed', (v) => Number(v), 0)
    .option('--lock', 'lock the split afterwards (later runs only place new images)')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        workspace: string;
        task: string;
        fractions: { train: number; val: number; test: number };
        groupBy: GroupBy;
        seed: number;
        lock?: boolean;
        json?: boolean;
      }) => {
        const ctx = context();
        await openWorkspace(ctx, o.workspace);
        const task = await findTask(ctx, o.task);
        let result = await ctx.invoke('labels.assignSplits', {
          taskId: task.id,
          fractions: o.fractions,
          groupBy: o.groupBy,
          seed: o.seed,
        });
        if (o.lock)
          result = { ...result, ...(await ctx.invoke('labels.lockSplits', { taskId: task.id, locked: true })) };
        if (o.json) return console.log(JSON.stringify(result, null, 2));
        const nameOf = new Map(task.classes.map((c) => [c.id, c.name]));
        console.log(
          `${result.newlyAssigned} images placed${result.ungrouped ? ` (${result.ungrouped} had no group key and stand alone)` : ''}`,
        );
        for (const s of result.splits) {
          console.log(
            `${s.split.padEnd(5)} ${s.images} images in ${s.groups} groups; ${s.classes.map((c) => `${nameOf.get(c.classId)} ${c.images}`).join(', ') || 'no classes'}; ${s.unlabeled} unlabeled`,
          );
        }
      },
    );

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
