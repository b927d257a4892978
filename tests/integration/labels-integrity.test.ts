/**
 * Labels are the user's work: an import that is refused changes nothing (tables and mask files
 * compared before and after), a malformed label never replaces an image's labels, class names
 * follow one rule, any number of classes import, and exported CSV is safe in a spreadsheet.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTask } from '../../contract/index';
import { H, NAMES, W, integrityWorkspace, workspaceState, type IntegrityWorkspace } from './labels-integrity-workspace';

let ctx: IntegrityWorkspace['ctx'];
let det: LabelTask;
let cls: LabelTask;

beforeAll(async () => {
  ({ ctx, det, cls } = await integrityWorkspace());
});
afterAll(() => ctx.dispose());
const snapshot = (): unknown => workspaceState(ctx);

function file(name: string, content: string): string {
  const target = path.join(ctx.dir, 'in', name);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content);
  return target;
}

const coco = (doc: object): string =>
  JSON.stringify({
    images: NAMES.map((n, k) => ({ id: k + 1, file_name: n, width: W, height: H })).slice(0, 2),
    ...doc,
  });
const boxesOf = async (imageId: number) => (await ctx.call('labels.get', { taskId: det.id, imageId })).boxes;

describe('a refused import changes nothing', () => {
  const cases: [
    string,
    () => { format: 'coco' | 'yolo' | 'csv'; path: string; target: { taskName: string } | { taskId: number } },
    RegExp,
  ][] = [
    [
      'nothing importable, into a new task',
      () => ({
        format: 'coco',
        path: file(
          'ghosts.json',
          JSON.stringify({
            images: [{ id: 1, file_name: 'ghost.png' }],
            categories: [{ id: 1, name: 'x' }],
            annotations: [],
          }),
        ),
        target: { taskName: 'new' },
      }),
      /^Nothing could be imported, so nothing was changed: image "ghost.png": no image named/,
    ],
    [
      'nothing importable, with new classes for an existing task',
      () => {
        const folder = path.join(ctx.dir, 'in', 'yolo-ghost');
        file('yolo-ghost/classes.txt', 'crack\nnew-class\n');
        file('yolo-ghost/labels/ghost.txt', '1 0.5 0.5 0.2 0.2\n');
        return { format: 'yolo', path: folder, target: { taskId: det.id } };
      },
      /^Nothing could be imported/,
    ],
    [
      "an image's only annotation with a bbox of strings",
      () => ({
        format: 'coco',
        path: file(
          'strings.json',
          coco({
            categories: [{ id: 1, name: 'crack' }],
            annotations: [
              { id: 11, image_id: 1, category_id: 1, bbox: ['1', '2', '3', '4'] },
              { id: 12, image_id: 2, category_id: 1, bbox: [1, 2, 3, 4] },
            ],
          }),
        ),
        target: { taskId: det.id },
      }),
      /1 malformed label.*annotation 11: bbox is \["1","2","3","4"\], not four numbers/,
    ],
    [
      'an annotation of an unknown category, into a new task',
      () => ({
        format: 'coco',
        path: file(
          'unknown.json',
          coco({
            categories: [{ id: 1, name: 'crack' }],
            annotations: [
              { id: 5, image_id: 1, category_id: 9, bbox: [1, 2, 3, 4] },
              { id: 6, image_id: 2, category_id: 1, bbox: [1, 2, 3, 4] },
            ],
          }),
        ),
        target: { taskName: 'new' },
      }),
      /annotation 5: category_id 9 is not among the file's categories/,
    ],
    [
      'a YOLO line that does not parse',
      () => {
        const folder = path.join(ctx.dir, 'in', 'yolo-bad');
        file('yolo-bad/classes.txt', 'crack\n');
        file('yolo-bad/labels/a.txt', '0 0.5 0.5 0.2 nan?\n');
        file('yolo-bad/labels/b.txt', '0 0.5 0.5 0.2 0.2\n');
        return { format: 'yolo', path: folder, target: { taskId: det.id } };
      },
      /a\.txt line 1: has a value that is not a number: "nan\?"/,
    ],
    [
      'a blank line inside classes.txt (it would shift every later class)',
      () => {
        const folder = path.join(ctx.dir, 'in', 'yolo-blank');
        file('yolo-blank/classes.txt', 'crack\n\ndent\n\n');
        file('yolo-blank/labels/a.txt', '1 0.5 0.5 0.2 0.2\n');
        return { format: 'yolo', path: folder, target: { taskId: det.id } };
      },
      /classes\.txt line 2 is empty, so class 1 has no name/,
    ],
    [
      'a CSV row without a class',
      () => ({
        format: 'csv',
        path: file('no-class.csv', 'image,class\nb.png,normal\na.png,\n'),
        target: { taskId: cls.id },
      }),
      /line 3: has no value in the class column/,
    ],
    [
      'a CSV row with text after a quoted cell',
      () => ({ format: 'csv', path: file('glued.csv', 'image,class\n"a.png,"abc\n'), target: { taskId: cls.id } }),
      /line 2 has text after the closing quote/,
    ],
    [
      'an empty class name',
      () => ({
        format: 'coco',
        path: file(
          'empty-name.json',
          coco({
            categories: [{ id: 1, name: ' ' }],
            annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4] }],
          }),
        ),
        target: { taskId: det.id },
      }),
      /class Loupe cannot use.*A name is required \(got ""\)/,
    ],
    [
      'a class name with a line break',
      () => ({ format: 'csv', path: file('newline.csv', 'image,class\na.png,"a\nb"\n'), target: { taskName: 'new' } }),
      /control characters or line breaks: "a\\nb"/,
    ],
    [
      'a class name with a control character',
      () => ({
        format: 'coco',
        path: file(
          'control.json',
          coco({
            categories: [{ id: 1, name: 'a\u0001b' }],
            annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4] }],
          }),
        ),
        target: { taskName: 'new' },
      }),
      /control characters or line breaks: "a\\u0001b"/,
    ],
    [
      'a class name of 100,000 characters',
      () => ({
        format: 'yolo',
        path: path.dirname(path.dirname(file('long/labels/a.txt', '0 0.5 0.5 0.2 0.2\n'))),
        target: { taskId: det.id },
      }),
      /Names are at most 80 characters; "x{40}…" has 100000/,
    ],
  ];
  beforeAll(() => file('long/classes.txt', `${'x'.repeat(100_000)}\n`));

  it.each(cases)('%s', async (_, make, message) => {
    const { format, path: from, target } = make();
    const before = snapshot();
    await expect(ctx.call('labels.import', { format, path: from, ...target })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(message),
    });
    expect(snapshot()).toEqual(before);
  });
});

describe('malformed labels', () => {
  it('with skipMalformed, leave their image untouched and import the rest', async () => {
    const from = file(
      'skip.json',
      coco({
        categories: [{ id: 1, name: 'crack' }],
        annotations: [
          { id: 11, image_id: 1, category_id: 1, bbox: ['1', '2', '3', '4'] },
          { id: 12, image_id: 2, category_id: 1, bbox: [1, 2, 3, 4] },
        ],
      }),
    );
    const before = await boxesOf(ctx.ids[0]!);
    const report = await ctx.call('labels.import', { format: 'coco', path: from, taskId: det.id, skipMalformed: true });
    expect(report).toMatchObject({
      images: 1,
      imported: { boxes: 1 },
      skipped: [{ where: 'annotation 11', reason: expect.stringMatching(/not four numbers.*left untouched/) }],
    });
    expect(await boxesOf(ctx.ids[0]!)).toEqual(before);
    expect(await boxesOf(ctx.ids[1]!)).toEqual([{ classId: det.classes[0]!.id, x1: 1, y1: 2, x2: 4, y2: 6 }]);
  });
});

describe('class names', () => {
  it('follow the same rule over the socket as in an import, naming the value', async () => {
    await expect(ctx.call('labels.addClass', { taskId: det.id, name: 'a\u0085b' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/control characters or line breaks: "a\u0085b"/),
    });
    await expect(
      ctx.call('labels.createTask', { name: 'x', kind: 'detection', classes: [{ name: 'y'.repeat(81) }] }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/at most 80 characters; "y{40}…" has 81/) });
    await expect(
      ctx.call('labels.import', { format: 'csv', path: file('x.csv', 'image,class\n'), taskName: 'a\nb' }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/line breaks: "a\\nb"/) });
  });
});

describe('many classes', () => {
  const COUNT = 2000;
  it(`imports ${COUNT} COCO categories, each a class with a colour, and adds one more over the socket`, async () => {
    const categories = Array.from({ length: COUNT }, (_, k) => ({ id: k + 1, name: `category ${k + 1}` }));
    const annotations = categories.map((c, k) => ({
      id: k + 1,
      image_id: (k % 2) + 1,
      category_id: c.id,
      bbox: [1, 1, 4, 4],
    }));
    const report = await ctx.call('labels.import', {
      format: 'coco',
      path: file('lvis-like.json', coco({ categories, annotations })),
      taskName: 'many',
    });
    expect(report).toMatchObject({ images: 2, imported: { boxes: COUNT }, skippedTotal: 0 });
    const added = await ctx.call('labels.addClass', { taskId: report.taskId!, name: 'one more' });
    expect(added.color).toMatch(/^#[0-9a-f]{6}$/);
    const task = (await ctx.call('labels.tasks', {})).tasks.find((t) => t.id === report.taskId)!;
    expect(task.classes).toHaveLength(COUNT + 1);
  });
});

describe('CSV export', () => {
  it('escapes cells a spreadsheet would run as formulas, and re-imports them unchanged', async () => {
    const out = path.join(ctx.dir, 'out');
    await ctx.call('labels.export', { taskId: cls.id, format: 'csv', out });
    const text = readFileSync(path.join(out, 'classes.csv'), 'utf8');
    expect(text).toBe(`image,class,split\r\na.png,normal,\r\n"'+sum.png","'=cmd|' /C calc'!A0",\r\n`);
    const report = await ctx.call('labels.import', {
      format: 'csv',
      path: path.join(out, 'classes.csv'),
      taskName: 'cls again',
    });
    expect(report).toMatchObject({ images: 2, classesCreated: ['normal', "=cmd|' /C calc'!A0"] });
    const again = (await ctx.call('labels.tasks', {})).tasks.find((t) => t.name === 'cls again')!;
    expect((await ctx.call('labels.get', { taskId: again.id, imageId: ctx.ids[3]! })).classIds).toEqual([
      again.classes[1]!.id,
    ]);
  });
});
