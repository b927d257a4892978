/**
 * `--images-folder`, `--images-modality`, `--images-tag`, `--all-images`: the choice of a task's
 * images from the command line (contract/task-images.ts), for `labels create-task` and
 * `labels task-images`. Several values of one option are alternatives; different options must all hold.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { describeTaskImages, LoupeError, type LabelTask, type RequestOf } from '../../../contract/index';
import type { CliContext } from './context';
import { plural } from './labels-output';

export interface TaskImagesOptions {
  imagesFolder?: string[];
  imagesModality?: string[];
  imagesTag?: string[];
  allImages?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function withTaskImagesOptions(command: Command): Command {
  return command
    .option('--images-folder <folder>', 'use the images in this folder or below it (repeatable)', collect)
    .option(
      '--images-modality <name>',
      'use images of this DICOM modality or file kind, e.g. CT, PNG (repeatable)',
      collect,
    )
    .option('--images-tag <task:class>', 'use images carrying this class in another task (repeatable)', collect);
}

/** "Findings:nodule": the task whose name, then a colon, starts the value, and its class named by the rest. */
function classOfTag(tasks: readonly LabelTask[], tag: string): number {
  for (const task of tasks) {
    const prefix = `${task.name.toLowerCase()}:`;
    if (!tag.toLowerCase().startsWith(prefix)) continue;
    const name = tag.slice(prefix.length).trim().toLowerCase();
    const found = task.classes.find((c) => c.name.toLowerCase() === name);
    if (found) return found.id;
    throw new LoupeError(
      'NOT_FOUND',
      `"${task.name}" has no class "${tag.slice(prefix.length)}" (classes: ${task.classes.map((c) => c.name).join(', ') || 'none'}).`,
    );
  }
  throw new LoupeError(
    'INVALID_REQUEST',
    `--images-tag takes TASK:CLASS naming another task and one of its classes; no task matches "${tag}" (tasks: ${tasks.map((t) => t.name).join(', ') || 'none'}).`,
  );
}

/** The choice the options make, or null when they name none. */
export async function selectionFromOptions(
  ctx: CliContext,
  o: TaskImagesOptions,
): Promise<RequestOf<'labels.setTaskImages'>['images'] | null> {
  const ruled = Boolean(o.imagesFolder?.length || o.imagesModality?.length || o.imagesTag?.length);
  if (o.allImages && ruled)
    throw new LoupeError('INVALID_REQUEST', '--all-images cannot be combined with --images-folder, -modality or -tag.');
  if (o.allImages) return { kind: 'all' };
  if (!ruled) return null;
  const { tasks } = o.imagesTag?.length ? await ctx.invoke('labels.tasks', {}) : { tasks: [] };
  return {
    kind: 'rule',
    folders: (o.imagesFolder ?? []).map((f) => path.resolve(f)),
    modalities: o.imagesModality ?? [],
    classIds: (o.imagesTag ?? []).map((tag) => classOfTag(tasks, tag)),
  };
}

/** Sets the task's images and prints what it now uses. */
export async function applyTaskImages(
  ctx: CliContext,
  taskId: number,
  images: RequestOf<'labels.setTaskImages'>['images'],
): Promise<LabelTask> {
  const count = await ctx.invoke('labels.countTaskImages', { taskId, images });
  const task = await ctx.invoke('labels.setTaskImages', { taskId, images });
  console.log(
    `"${task.name}" uses ${await imagesLine(ctx, task)}: ${count.matching} of ${plural(count.total, 'image')}`,
  );
  if (count.labeledLeftOut > 0)
    console.log(
      `${plural(count.labeledLeftOut, 'labelled image')} fall outside; their labels are kept, not used (nothing is deleted)`,
    );
  return task;
}

/** "CT · under /data/chest" with class names as "Task:class". */
export async function imagesLine(ctx: CliContext, task: LabelTask): Promise<string> {
  if (task.images.kind !== 'rule' || task.images.classIds.length === 0) return describeTaskImages(task.images, String);
  const { tasks } = await ctx.invoke('labels.tasks', {});
  const names = new Map(tasks.flatMap((t) => t.classes.map((c) => [c.id, `${t.name}:${c.name}`] as const)));
  return describeTaskImages(task.images, (id) => names.get(id) ?? `deleted class ${id}`);
}
