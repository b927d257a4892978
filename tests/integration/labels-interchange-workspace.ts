/** The workspace the interchange tests share: four images in two series with the same file names, and ways to read its tasks and labels back. */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ImageLabels, LabelTask } from '../../contract/index';
import { labelsWorkspace } from '../helpers/labels-services';

export let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;
export const W = 40;
export const H = 30;
// Two series with the same file names: exports must keep them apart.
export const NAMES = ['series-a/IM0001.png', 'series-a/IM0002.png', 'series-b/IM0001.png', 'series-b/IM0002.png'];

export const out = (name: string): string => path.join(ctx.dir, 'out', name);
export const tasks = async (): Promise<LabelTask[]> => (await ctx.call('labels.tasks', {})).tasks;
export const byName = async (name: string): Promise<LabelTask> => (await tasks()).find((t) => t.name === name)!;

export async function labelsOf(task: LabelTask): Promise<Map<number, ImageLabels>> {
  const all = new Map<number, ImageLabels>();
  for (const id of ctx.ids) all.set(id, await ctx.call('labels.get', { taskId: task.id, imageId: id }));
  return all;
}

/** Labels with class ids replaced by names, so two tasks can be compared. */
export async function comparable(task: LabelTask) {
  const nameOf = new Map(task.classes.map((c) => [c.id, c.name]));
  const indexName = new Map(task.classes.map((c) => [c.maskIndex, c.name]));
  const result: Record<number, unknown> = {};
  for (const [id, l] of await labelsOf(task)) {
    result[id] = {
      classes: l.classIds.map((c) => nameOf.get(c)).sort(),
      boxes: l.boxes.map((b) => ({ ...b, classId: nameOf.get(b.classId) })),
      mask: l.mask ? Array.from(l.mask.data, (v) => (v ? indexName.get(v) : 0)) : null,
    };
  }
  return result;
}

/** Opens the workspace before this file's tests and removes it after them. */
export function useWorkspace(): void {
  beforeAll(async () => {
    ctx = await labelsWorkspace(NAMES.map((name) => ({ name, width: W, height: H })));
  });
  afterAll(() => ctx.dispose());
}

/** Labels the tasks both files work on: det (boxes, and a negative saved with none), seg (masks), cls (multi-label), ver (pairs). */
export async function labelSampleTasks(): Promise<void> {
  const det = await ctx.call('labels.createTask', {
    name: 'det',
    kind: 'detection',
    classes: [{ name: 'crack' }, { name: 'dent' }],
  });
  const [crack, dent] = det.classes;
  await ctx.call('labels.save', {
    taskId: det.id,
    imageId: ctx.ids[0]!,
    saveId: 'd0',
    baseRevision: 0,
    boxes: [
      { classId: crack!.id, x1: 0, y1: 0, x2: 10, y2: 8 },
      { classId: dent!.id, x1: 12.5, y1: 3.25, x2: 40, y2: 30 },
    ],
  });
  await ctx.call('labels.save', {
    taskId: det.id,
    imageId: ctx.ids[2]!,
    saveId: 'd2',
    baseRevision: 0,
    boxes: [{ classId: dent!.id, x1: 5, y1: 5, x2: 6, y2: 7 }],
  });
  // A labeled negative: saved with no boxes.
  await ctx.call('labels.save', { taskId: det.id, imageId: ctx.ids[3]!, saveId: 'd3', baseRevision: 0, boxes: [] });

  const seg = await ctx.call('labels.createTask', {
    name: 'seg',
    kind: 'segmentation',
    classes: [{ name: 'lesion' }, { name: 'organ' }],
  });
  for (const [k, id] of [ctx.ids[0]!, ctx.ids[1]!].entries()) {
    const data = new Uint8Array(W * H);
    // A ring with a hole, a diagonal-touching pair, and a second class.
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const r = Math.hypot(x - 12 - k, y - 14);
        if (r < 9 && r > 3) data[y * W + x] = 1;
        if (x > 28 && y > 4 + k && y < 20) data[y * W + x] = 2;
      }
    data[0] = 2;
    data[W + 1] = 2;
    await ctx.call('labels.save', {
      taskId: seg.id,
      imageId: id,
      saveId: `s${k}`,
      baseRevision: 0,
      mask: { width: W, height: H, data },
    });
  }
  const cls = await ctx.call('labels.createTask', {
    name: 'cls',
    kind: 'classification',
    multiLabel: true,
    classes: [{ name: 'normal' }, { name: 'with, comma "quoted"' }],
  });
  await ctx.call('labels.save', {
    taskId: cls.id,
    imageId: ctx.ids[1]!,
    saveId: 'c1',
    baseRevision: 0,
    classIds: cls.classes.map((c) => c.id),
  });
  await ctx.call('labels.save', {
    taskId: cls.id,
    imageId: ctx.ids[2]!,
    saveId: 'c2',
    baseRevision: 0,
    classIds: [cls.classes[0]!.id],
  });
  const ver = await ctx.call('labels.createTask', { name: 'ver', kind: 'verification' });
  await ctx.call('labels.addPair', { taskId: ver.id, imageA: ctx.ids[0]!, imageB: ctx.ids[2]!, same: true });
  await ctx.call('labels.addPair', { taskId: ver.id, imageA: ctx.ids[3]!, imageB: ctx.ids[1]!, same: false });
}
