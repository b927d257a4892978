/**
 * `loupe labels …`: tasks, classes, splits, import and export from the command line, through the
 * same channels (and so the same validation and the same all-or-nothing imports) as the UI.
 */
import type { Command } from 'commander';
import { LoupeError, TASK_KINDS, type GroupBy, type TaskKind } from '../../../contract/index';
import type { CliContext } from './context';
import { registerInterchangeCommands } from './labels-interchange-commands';
import { findTask, oneOf, openWorkspace, parseFractions, parseGroupBy } from './labels-output';
import {
  applyTaskImages,
  imagesLine,
  selectionFromOptions,
  withTaskImagesOptions,
  type TaskImagesOptions,
} from './task-images-options';

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
          `${t.id}\t${t.name}\t${t.kind}${t.multiLabel ? ' (multi-label)' : ''}\t${t.classes.map((c) => c.name).join(', ')}\t${await imagesLine(ctx, t)}`,
        );
    });

  withTaskImagesOptions(
    withWorkspace(
      labels.command('create-task').description('Create a label task (on all images unless --images-… say otherwise).'),
    )
      .requiredOption('--name <name>', 'task name')
      .requiredOption('--kind <kind>', TASK_KINDS.join(' | '), oneOf(TASK_KINDS, 'kind'))
      .option('--multi-label', 'classification: an image may carry several classes')
      .option('--classes <names>', 'comma-separated class names, in key order'),
  ).action(
    async (
      o: {
        workspace: string;
        name: string;
        kind: TaskKind;
        multiLabel?: boolean;
        classes?: string;
      } & TaskImagesOptions,
    ) => {
      const ctx = context();
      await openWorkspace(ctx, o.workspace);
      // Read (and so check) the image options before the task exists: a bad --images-tag creates nothing.
      const images = await selectionFromOptions(ctx, o);
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
      if (images) await applyTaskImages(ctx, task.id, images);
    },
  );

  withTaskImagesOptions(
    withWorkspace(
      labels
        .command('task-images')
        .description(
          'Choose which images a task uses (a rule: later imports that match join it); labels of images left out are kept, not used.',
        ),
    )
      .requiredOption('--task <task>', 'task name or id')
      .option('--all-images', 'use every image of the workspace again'),
  ).action(async (o: { workspace: string; task: string } & TaskImagesOptions) => {
    const ctx = context();
    await openWorkspace(ctx, o.workspace);
    const task = await findTask(ctx, o.task);
    const images = await selectionFromOptions(ctx, o);
    if (!images) {
      const count = await ctx.invoke('labels.summary', { taskId: task.id });
      return console.log(`"${task.name}" uses ${await imagesLine(ctx, task)}: ${count.images.length} images`);
    }
    await applyTaskImages(ctx, task.id, images);
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
  registerInterchangeCommands(labels, context, withWorkspace);
}
