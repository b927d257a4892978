/**
 * An import that finds nothing to read (a wrong folder, an empty export, a file with only its
 * header) is refused in words that say so, and leaves no trace: no new task, no class, no image.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelFormat } from '../../contract/index';
import { labelsWorkspace } from '../helpers/labels-services';
import { requireBuild } from '../helpers/services';

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;

beforeAll(async () => {
  requireBuild();
  ctx = await labelsWorkspace([]);
});
afterAll(() => ctx.dispose());

/** Each format's layout with nothing in it: what a user gets by pointing at the wrong, or an empty, folder. */
const EMPTY: Record<LabelFormat, (root: string) => string> = {
  imagefolder: (root) => (mkdirSync(path.join(root, 'train', 'ok'), { recursive: true }), root),
  'image-mask': (root) => {
    for (const folder of ['images', 'masks']) mkdirSync(path.join(root, 'train', folder), { recursive: true });
    return root;
  },
  masks: (root) => (mkdirSync(path.join(root, 'masks'), { recursive: true }), root),
  yolo: (root) => {
    mkdirSync(path.join(root, 'labels'), { recursive: true });
    writeFileSync(path.join(root, 'classes.txt'), 'defect\n');
    return root;
  },
  voc: (root) => (mkdirSync(path.join(root, 'Annotations'), { recursive: true }), root),
  csv: (root) => {
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'classes.csv'), 'image,class,split\n');
    return path.join(root, 'classes.csv');
  },
  coco: (root) => {
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'annotations.json'), JSON.stringify({ images: [], annotations: [], categories: [] }));
    return path.join(root, 'annotations.json');
  },
};

describe('an import that finds nothing', () => {
  it.each(Object.keys(EMPTY) as LabelFormat[])('%s: refused, and no task is made', async (format) => {
    const where = EMPTY[format](path.join(ctx.dir, `empty-${format}`));
    const before = (await ctx.call('labels.tasks', {})).tasks.length;
    await expect(ctx.call('labels.import', { format, path: where, taskName: `From ${format}` })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect((await ctx.call('labels.tasks', {})).tasks).toHaveLength(before);
    expect((await ctx.call('imaging.list', {})).total).toBe(0);
  });

  it('says what it found nothing of, and where', async () => {
    const where = EMPTY['image-mask'](path.join(ctx.dir, 'wrong-folder'));
    await expect(ctx.call('labels.import', { format: 'image-mask', path: where, taskName: 'Masks' })).rejects.toThrow(
      `${where} holds no labels of the image-mask format`,
    );
  });
});
