/**
 * A dataset exported one file per split (COCO's instances_train.json and instances_val.json): each
 * import puts the images it labels in the split it is told, and leaves the other images' alone. A
 * file that sets splits itself is not overruled: told a split too, the import is refused, before a
 * layout that holds its images (split folders) brings any of them into the workspace.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsWorkspace } from '../helpers/labels-services';
import { requireBuild } from '../helpers/services';
import { writeImage, writeMask } from './labels-layouts-files';

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;
const NAMES = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png'];

beforeAll(async () => {
  requireBuild();
  ctx = await labelsWorkspace(NAMES.map((name) => ({ name, width: 32, height: 32 })));
});
afterAll(() => ctx.dispose());

/** A COCO file boxing one defect on each of `names`. */
function cocoFile(file: string, names: readonly string[]): string {
  const images = names.map((name, i) => ({ id: i + 1, file_name: name, width: 32, height: 32 }));
  const annotations = images.map((image) => ({ id: image.id, image_id: image.id, category_id: 1, bbox: [4, 4, 8, 8] }));
  writeFileSync(file, JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'defect' }] }));
  return file;
}

const splitsByName = (taskId: number): Record<string, string> => {
  const rows = ctx
    .db()
    .prepare(
      'SELECT i.path, s.split FROM split_assignments s JOIN images i ON i.id = s.image_id WHERE s.task_id = ? ORDER BY i.path',
    )
    .all(taskId) as { path: string; split: string }[];
  return Object.fromEntries(rows.map((r) => [path.basename(r.path), r.split]));
};

describe('an import told its split', () => {
  it('puts the images each file labels in its split', async () => {
    const train = cocoFile(path.join(ctx.dir, 'instances_train.json'), ['a.png', 'b.png', 'c.png']);
    const val = cocoFile(path.join(ctx.dir, 'instances_val.json'), ['d.png']);
    const first = await ctx.call('labels.import', { format: 'coco', path: train, taskName: 'Boxes', split: 'train' });
    expect(first.splitsAssigned).toBe(3);
    await ctx.call('labels.import', { format: 'coco', path: val, taskId: first.taskId!, split: 'val' });
    expect(splitsByName(first.taskId!)).toEqual({
      'a.png': 'train',
      'b.png': 'train',
      'c.png': 'train',
      'd.png': 'val',
    });
    // A dry run reports the same and changes nothing.
    const dry = await ctx.call('labels.import', {
      format: 'coco',
      path: cocoFile(path.join(ctx.dir, 'instances_test.json'), ['e.png']),
      taskId: first.taskId!,
      split: 'test',
      dryRun: true,
    });
    expect(dry.splitsAssigned).toBe(1);
    expect(splitsByName(first.taskId!)).not.toHaveProperty('e.png');
  });

  it('is refused where the file sets splits itself, and changes nothing', async () => {
    const csv = path.join(ctx.dir, 'classes.csv');
    writeFileSync(csv, 'image,class,split\na.png,ok,train\nb.png,defect,test\n');
    const before = (await ctx.call('labels.tasks', {})).tasks.length;
    await expect(
      ctx.call('labels.import', { format: 'csv', path: csv, taskName: 'Tags', split: 'val' }),
    ).rejects.toThrow(`${csv} sets its images' splits itself (split folders or a split column)`);
    expect((await ctx.call('labels.tasks', {})).tasks).toHaveLength(before);
  });

  it.each(['imagefolder', 'image-mask'] as const)(
    '%s with split folders: refused before any of its images is imported',
    async (format) => {
      const root = path.join(ctx.dir, `split-folders-${format}`);
      for (const split of ['train', 'val'])
        for (const name of ['p.png', 'q.png']) {
          if (format === 'imagefolder') await writeImage(path.join(root, split, 'ok', name));
          else {
            await writeImage(path.join(root, split, 'images', name));
            writeMask(path.join(root, split, 'masks', name), 12, 8, (x) => (x < 4 ? 1 : 0));
          }
        }
      const images = (await ctx.call('imaging.list', { offset: 0, limit: 1000 })).total;
      const tasks = (await ctx.call('labels.tasks', {})).tasks.length;
      await expect(
        ctx.call('labels.import', { format, path: root, taskName: `Split ${format}`, split: 'test' }),
      ).rejects.toThrow(`${root} sets its images' splits itself (split folders or a split column)`);
      expect((await ctx.call('imaging.list', { offset: 0, limit: 1000 })).total).toBe(images);
      expect((await ctx.call('labels.tasks', {})).tasks).toHaveLength(tasks);
    },
  );
});
