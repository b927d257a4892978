/**
 * The dataset layouts people already have, through the real services (imaging import included):
 * a folder per class (compared with torchvision's ImageFolder), image + mask folders, and the
 * round trip of each; refusals leave the workspace as it was.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTask } from '../../contract/index';
import { labelsWorkspace } from '../helpers/labels-services';
import { runReference } from '../helpers/python-reference';
import { requireBuild } from '../helpers/services';
import { writeImage, writeMask } from './labels-layouts-files';

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;

beforeAll(async () => {
  requireBuild();
  ctx = await labelsWorkspace([]);
});
afterAll(() => ctx.dispose());

const imageCount = async (): Promise<number> => (await ctx.call('imaging.list', { offset: 0, limit: 10_000 })).total;
const taskNamed = async (name: string): Promise<LabelTask> =>
  (await ctx.call('labels.tasks', {})).tasks.find((t) => t.name === name)!;
const pathsById = async (): Promise<Map<number, string>> =>
  new Map((await ctx.call('imaging.list', { offset: 0, limit: 10_000 })).items.map((i) => [i.id, i.path]));

/** path → { class names, split } of every image the task labels. */
async function classesByPath(task: LabelTask): Promise<Record<string, { classes: string[]; split: string | null }>> {
  const nameOf = new Map(task.classes.map((c) => [c.id, c.name]));
  const out: Record<string, { classes: string[]; split: string | null }> = {};
  for (const [id, file] of await pathsById()) {
    const labels = await ctx.call('labels.get', { taskId: task.id, imageId: id });
    if (labels.classIds.length === 0) continue;
    const split = ctx.db().prepare('SELECT split FROM split_assignments WHERE task_id = ? AND image_id = ?').pluck();
    out[file] = {
      classes: labels.classIds.map((c) => nameOf.get(c)!).sort(),
      split: (split.get(task.id, id) as string | undefined) ?? null,
    };
  }
  return out;
}

describe('folder per class (ImageFolder)', () => {
  const root = (): string => path.join(ctx.dir, 'flowers');
  // Upper case sorts before lower case and digits before both, as Python's sorted() puts them.
  const CLASSES = ['daisy', 'Tulip', '10', 'rose hip'];

  beforeAll(async () => {
    for (const split of ['train', 'val', 'test'])
      for (const [k, cls] of CLASSES.entries())
        for (let n = 0; n < (split === 'train' ? 2 + k : 1); n++)
          await writeImage(path.join(root(), split, cls, `${cls}-${n}.png`));
    // Below a class folder, any depth is that class (ImageFolder walks it); notes are passed over.
    await writeImage(path.join(root(), 'train', 'daisy', 'field', 'deep.png'));
    writeFileSync(path.join(root(), 'train', 'daisy', 'notes.txt'), 'not an image');
  });

  it('imports images and labels in one call, classes in torchvision ImageFolder order, splits from the folders', async () => {
    const before = await imageCount();
    const report = await ctx.call('labels.import', { format: 'imagefolder', path: root(), taskName: 'flowers' });
    const files = 2 + 3 + 4 + 5 + 1 + 2 * CLASSES.length;
    expect(report).toMatchObject({
      createdTask: true,
      imagesAdded: files,
      splitsAssigned: files,
      images: files,
      imported: { classTags: files },
      skippedTotal: 0,
    });
    expect(await imageCount()).toBe(before + files);

    const task = await taskNamed('flowers');
    const [train, val] = runReference<{ classes: string[]; samples: [string, number][] }[]>(
      'torchvision_imagefolder.py',
      { roots: [path.join(root(), 'train'), path.join(root(), 'val')] },
    );
    expect(task.classes.map((c) => c.name)).toEqual(train!.classes);
    expect(train!.classes).toEqual(['10', 'Tulip', 'daisy', 'rose hip']);
    const loupe = await classesByPath(task);
    for (const [split, reference] of [
      ['train', train!],
      ['val', val!],
    ] as const) {
      for (const [file, index] of reference.samples)
        expect(loupe[file]).toEqual({ classes: [reference.classes[index]], split });
    }
    const counts = await ctx.call('labels.splitCounts', { taskId: task.id });
    expect(counts.splits.map((s) => [s.split, s.images])).toEqual([
      ['train', 15],
      ['val', 4],
      ['test', 4],
    ]);
  });

  it('imports the same folder again without adding images', async () => {
    const report = await ctx.call('labels.import', { format: 'imagefolder', path: root(), taskName: 'flowers' });
    expect(report).toMatchObject({ createdTask: false, imagesAdded: 0, skippedTotal: 0, classesCreated: [] });
  });

  it('round-trips: export then import gives the same labels and splits', async () => {
    const task = await taskNamed('flowers');
    const out = path.join(ctx.dir, 'out-flowers');
    const exported = await ctx.call('labels.export', { taskId: task.id, format: 'imagefolder', out });
    expect(exported).toMatchObject({ images: 23, files: 23, exported: { classTags: 23 } });
    expect(readFileSync(path.join(out, 'train', 'daisy', 'train', 'daisy', 'field', 'deep.png')).byteLength).toBe(
      readFileSync(path.join(root(), 'train', 'daisy', 'field', 'deep.png')).byteLength,
    );
    // The copies have the same content, so they are the same workspace images.
    const report = await ctx.call('labels.import', { format: 'imagefolder', path: out, taskName: 'flowers again' });
    expect(report).toMatchObject({ imagesAdded: 0, images: 23, splitsAssigned: 23, skippedTotal: 0 });
    const copy = await taskNamed('flowers again');
    expect(copy.classes.map((c) => c.name)).toEqual(task.classes.map((c) => c.name));
    expect(await classesByPath(copy)).toEqual(await classesByPath(task));
  });

  it('round-trips into another workspace, which gets the images from the export', async () => {
    const other = await labelsWorkspace([]);
    try {
      const out = path.join(ctx.dir, 'out-flowers');
      const report = await other.call('labels.import', { format: 'imagefolder', path: out, taskName: 'flowers' });
      expect(report).toMatchObject({ imagesAdded: 23, images: 23, splitsAssigned: 23, skippedTotal: 0 });
      const summary = async (call: typeof ctx.call, db: typeof ctx.db): Promise<string[]> => {
        const task = (await call('labels.tasks', {})).tasks.find((t) => t.name === 'flowers')!;
        const rows = db()
          .prepare(
            `SELECT i.file_name AS file, c.name AS cls, s.split FROM class_tags t JOIN images i ON i.id = t.image_id
             JOIN label_classes c ON c.id = t.class_id LEFT JOIN split_assignments s ON s.image_id = i.id AND s.task_id = t.task_id
             WHERE t.task_id = ?`,
          )
          .all(task.id) as { file: string; cls: string; split: string }[];
        return rows.map((r) => `${r.split}/${r.cls}/${r.file}`).sort();
      };
      expect(await summary(other.call, other.db)).toEqual(await summary(ctx.call, ctx.db));
    } finally {
      await other.dispose();
    }
  });

  it('refuses class folders a class name cannot be, changing nothing', async () => {
    const bad = path.join(ctx.dir, 'bad-classes');
    await writeImage(path.join(bad, 'Cat', 'a.png'));
    await writeImage(path.join(bad, 'cat', 'b.png'));
    const before = await imageCount();
    await expect(ctx.call('labels.import', { format: 'imagefolder', path: bad, taskName: 'bad' })).rejects.toThrow(
      /"Cat" and "cat" differ only in case/,
    );
    const control = path.join(ctx.dir, 'bad-names');
    await writeImage(path.join(control, 'tab\tname', 'c.png'));
    await expect(ctx.call('labels.import', { format: 'imagefolder', path: control, taskName: 'bad' })).rejects.toThrow(
      /class Loupe cannot use.*control characters/,
    );
    expect(await imageCount()).toBe(before);
    expect(await taskNamed('bad')).toBeUndefined();
  });

  it('a dry run adds nothing and says what it would add', async () => {
    const fresh = path.join(ctx.dir, 'fresh');
    await writeImage(path.join(fresh, 'ok', 'a.png'));
    await writeImage(path.join(fresh, 'ok', 'b.png'));
    const before = await imageCount();
    const report = await ctx.call('labels.import', {
      format: 'imagefolder',
      path: fresh,
      taskName: 'fresh',
      dryRun: true,
    });
    expect(report).toMatchObject({ dryRun: true, imagesAdded: 2, images: 2, imported: { classTags: 2 } });
    expect(await imageCount()).toBe(before);
  });
});

describe('image + mask folders', () => {
  const W = 12;
  const H = 8;
  const root = (): string => path.join(ctx.dir, 'organs');
  const expected = new Map<string, Uint8Array>();

  beforeAll(async () => {
    mkdirSync(root(), { recursive: true });
    writeFileSync(path.join(root(), 'labelmap.csv'), 'index,name\n0,background\n1,liver\n2,kidney\n');
    for (const [split, name, shift] of [
      ['train', 'a', 0],
      ['train', 'b', 3],
      ['val', 'c', 5],
    ] as const) {
      const image = path.join(root(), 'images', split, `${name}.png`);
      await writeImage(image, W, H);
      expected.set(
        image,
        writeMask(path.join(root(), 'masks', split, `${name}.png`), W, H, (x, y) =>
          x < 4 + shift ? 0 : y < 4 ? 1 : 2,
        ),
      );
    }
  });

  async function masksByPath(task: LabelTask): Promise<Record<string, { mask: string[]; split: string | null }>> {
    const nameOf = new Map(task.classes.map((c) => [c.maskIndex, c.name]));
    const out: Record<string, { mask: string[]; split: string | null }> = {};
    for (const [id, file] of await pathsById()) {
      const labels = await ctx.call('labels.get', { taskId: task.id, imageId: id });
      if (!labels.mask) continue;
      const split = ctx.db().prepare('SELECT split FROM split_assignments WHERE task_id = ? AND image_id = ?').pluck();
      out[file] = {
        mask: Array.from(labels.mask.data, (v) => (v ? nameOf.get(v)! : '')),
        split: (split.get(task.id, id) as string | undefined) ?? null,
      };
    }
    return out;
  }

  it('imports images and masks in one call: pixel value = class, splits from the folders', async () => {
    const report = await ctx.call('labels.import', { format: 'image-mask', path: root(), taskName: 'organs' });
    expect(report).toMatchObject({ imagesAdded: 3, images: 3, imported: { masks: 3 }, splitsAssigned: 3 });
    const task = await taskNamed('organs');
    expect(task.classes.map((c) => [c.name, c.maskIndex])).toEqual([
      ['liver', 1],
      ['kidney', 2],
    ]);
    const got = await masksByPath(task);
    for (const [file, data] of expected) {
      expect(got[file]!.mask).toEqual(Array.from(data, (v) => ['', 'liver', 'kidney'][v]));
      expect(got[file]!.split).toBe(file.includes('/val/') ? 'val' : 'train');
    }
  });

  it('round-trips: export then import gives the same masks and splits', async () => {
    const task = await taskNamed('organs');
    const out = path.join(ctx.dir, 'out-organs');
    const exported = await ctx.call('labels.export', { taskId: task.id, format: 'image-mask', out });
    expect(exported).toMatchObject({ images: 3, files: 7, exported: { masks: 3 } });
    expect(readFileSync(path.join(out, 'masks', 'val', 'organs', 'images', 'val', 'c.png')).byteLength).toBeGreaterThan(
      0,
    );
    const report = await ctx.call('labels.import', { format: 'image-mask', path: out, taskName: 'organs again' });
    expect(report).toMatchObject({ imagesAdded: 0, images: 3, splitsAssigned: 3, skippedTotal: 0 });
    expect(await masksByPath(await taskNamed('organs again'))).toEqual(await masksByPath(task));
  });

  it('refuses a mask whose size differs from its image, or a value with no class, changing nothing', async () => {
    const bad = path.join(ctx.dir, 'organs-bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'labelmap.csv'), 'index,name\n1,liver\n2,kidney\n');
    await writeImage(path.join(bad, 'images', 'ok.png'), W, H);
    writeMask(path.join(bad, 'masks', 'ok.png'), W, H, (x) => (x < 3 ? 1 : 0));
    await writeImage(path.join(bad, 'images', 'small.png'), W, H);
    writeMask(path.join(bad, 'masks', 'small.png'), W - 1, H, () => 1);
    await writeImage(path.join(bad, 'images', 'extra.png'), W, H);
    writeMask(path.join(bad, 'masks', 'extra.png'), W, H, (x) => (x === 0 ? 3 : 2));
    const before = await imageCount();
    const refused = ctx.call('labels.import', { format: 'image-mask', path: bad, taskName: 'organs bad' });
    await expect(refused).rejects.toThrow(/2 malformed labels, so nothing was imported/);
    await expect(refused).rejects.toThrow(/masks\/small\.png: is 11×8 but its image is 12×8/);
    await expect(refused).rejects.toThrow(
      /masks\/extra\.png: has pixels of value 3, which labelmap\.csv does not name/,
    );
    expect(await imageCount()).toBe(before);
    expect(await taskNamed('organs bad')).toBeUndefined();

    const skipping = await ctx.call('labels.import', {
      format: 'image-mask',
      path: bad,
      taskName: 'organs bad',
      skipMalformed: true,
    });
    expect(skipping).toMatchObject({ imagesAdded: 1, images: 1, skippedTotal: 2 });
    expect(await imageCount()).toBe(before + 1);
  });

  it('into an existing task without a labelmap, refuses values above its classes', async () => {
    const task = await taskNamed('organs');
    const folder = path.join(ctx.dir, 'organs-plain');
    await writeImage(path.join(folder, 'images', 'd.png'), W, H);
    writeMask(path.join(folder, 'masks', 'd.png'), W, H, (x) => (x < 2 ? 3 : 1));
    await expect(ctx.call('labels.import', { format: 'image-mask', path: folder, taskId: task.id })).rejects.toThrow(
      /value 3, but "organs" has no class with that mask value \(it has 2\)/,
    );
  });
});
