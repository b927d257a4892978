/**
 * CSV as other tools write it: the usual pairs headers, a column mapping for any other header, and
 * the classes CSV with its split column, both ways.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsWorkspace } from '../helpers/labels-services';

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;

beforeAll(async () => {
  ctx = await labelsWorkspace(['p1.png', 'p2.png', 'p3.png', 'p4.png'].map((name) => ({ name, width: 8, height: 8 })));
});
afterAll(() => ctx.dispose());

const file = (name: string, text: string): string => {
  const full = path.join(ctx.dir, name);
  writeFileSync(full, text);
  return full;
};
const pairsOf = async (taskId: number) =>
  (await ctx.call('labels.pairs', { taskId })).pairs.map((p) => [p.imageA, p.imageB, p.same]).sort();

describe('pairs CSV', () => {
  const HEADERS: [string, string, string][] = [
    ['image_a', 'image_b', 'same'],
    ['a', 'b', 'same'],
    ['img1', 'img2', 'label'],
    ['left', 'right', 'is_same'],
    ['Left', 'Right', 'IS_SAME'],
  ];
  it.each(HEADERS.map(([a, b, same], k) => [a, b, same, k] as const))(
    'reads the header %s,%s,%s',
    async (a, b, same, k) => {
      const csv = file(`pairs-${k}.csv`, `${a},${b},${same}\np1.png,p2.png,1\np3.png,p4.png,0\n`);
      const report = await ctx.call('labels.import', { format: 'csv', path: csv, taskName: `pairs ${k}` });
      expect(report).toMatchObject({ createdTask: true, imported: { pairs: 2 }, skippedTotal: 0 });
      const [p1, p2, p3, p4] = ctx.ids;
      expect(await pairsOf(report.taskId!)).toEqual([
        [p1, p2, true],
        [p3, p4, false],
      ]);
    },
  );

  it('reads any other header through a column mapping, and names the columns it has when one is missing', async () => {
    const csv = file('pairs-own.csv', 'first,second,match,score\np1.png,p3.png,yes,0.9\n');
    await expect(ctx.call('labels.import', { format: 'csv', path: csv, taskName: 'own' })).rejects.toThrow(
      /has the columns first, second, match, score; class tags need image and class/,
    );
    await expect(
      ctx.call('labels.import', { format: 'csv', path: csv, taskName: 'own', kind: 'verification' }),
    ).rejects.toThrow(/pairs need two image columns.*--columns a=COL,b=COL,same=COL/);
    const report = await ctx.call('labels.import', {
      format: 'csv',
      path: csv,
      taskName: 'own',
      columns: { a: 'first', b: 'Second', same: 'match' },
    });
    expect(report).toMatchObject({ imported: { pairs: 1 }, skippedTotal: 0 });
    await expect(
      ctx.call('labels.import', { format: 'csv', path: csv, taskName: 'own 2', columns: { a: 'nope', b: 'second' } }),
    ).rejects.toThrow(/has no column "nope" \(given for a\); its columns are first, second, match, score/);
    await expect(
      ctx.call('labels.import', { format: 'coco', path: csv, taskName: 'own 3', columns: { a: 'first' } }),
    ).rejects.toThrow(/Column names \(--columns\) are for CSV imports; coco has no columns/);
  });
});

describe('classes CSV', () => {
  it('exports a split column and reads it back', async () => {
    const task = await ctx.call('labels.createTask', {
      name: 'cls',
      kind: 'classification',
      classes: [{ name: 'cat' }, { name: 'dog' }],
    });
    const [cat, dog] = task.classes;
    await ctx.call('labels.assign', { taskId: task.id, imageIds: ctx.ids.slice(0, 3), mode: 'set', classId: cat!.id });
    await ctx.call('labels.assign', { taskId: task.id, imageIds: [ctx.ids[3]!], mode: 'set', classId: dog!.id });
    ctx
      .db()
      .prepare("INSERT INTO split_assignments (task_id, image_id, split, group_key) VALUES (?, ?, 'val', 'x')")
      .run(task.id, ctx.ids[1]);
    const out = path.join(ctx.dir, 'out');
    const report = await ctx.call('labels.export', { taskId: task.id, format: 'csv', out });
    expect(report).toMatchObject({ files: 1, images: 4, exported: { classTags: 4 } });
    expect(readFileSync(path.join(out, 'classes.csv'), 'utf8')).toBe(
      'image,class,split\r\np1.png,cat,\r\np2.png,cat,val\r\np3.png,cat,\r\np4.png,dog,\r\n',
    );
    const csv = file('with-splits.csv', 'image,class,split\np1.png,dog,train\np2.png,dog,test\np3.png,cat,\n');
    const imported = await ctx.call('labels.import', { format: 'csv', path: csv, taskName: 'cls 2' });
    expect(imported).toMatchObject({ images: 3, splitsAssigned: 2 });
    const splits = ctx
      .db()
      .prepare('SELECT image_id, split FROM split_assignments WHERE task_id = ? ORDER BY image_id')
      .all(imported.taskId);
    expect(splits).toEqual([
      { image_id: ctx.ids[0], split: 'train' },
      { image_id: ctx.ids[1], split: 'test' },
    ]);
    const bad = file('bad-split.csv', 'image,class,split\np1.png,dog,holdout\n');
    await expect(ctx.call('labels.import', { format: 'csv', path: bad, taskName: 'cls 3' })).rejects.toThrow(
      /line 2: split is "holdout"; write train, val or test/,
    );
  });
});
