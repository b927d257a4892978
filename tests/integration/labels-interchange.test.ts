/** Labels interchange: round trips through every format Loupe writes. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { byName, comparable, ctx, labelSampleTasks, out, useWorkspace } from './labels-interchange-workspace';

useWorkspace();

describe('round trips', () => {
  beforeAll(labelSampleTasks);

  const cases: [string, 'coco' | 'yolo' | 'voc' | 'masks' | 'csv'][] = [
    ['det', 'coco'],
    ['det', 'yolo'],
    ['det', 'voc'],
    ['seg', 'coco'],
    ['seg', 'yolo'],
    ['seg', 'masks'],
    ['cls', 'csv'],
  ];
  it.each(cases)('%s through %s comes back the same', async (name, format) => {
    const task = await byName(name);
    const folder = out(`${name}-${format}`);
    const report = await ctx.call('labels.export', { taskId: task.id, format, out: folder });
    expect(report.files).toBeGreaterThan(0);
    const input =
      format === 'coco'
        ? path.join(folder, 'annotations.json')
        : format === 'csv'
          ? path.join(folder, 'classes.csv')
          : folder;
    const imported = await ctx.call('labels.import', { format, path: input, taskName: `${name} via ${format}` });
    expect(imported).toMatchObject({ createdTask: true, skippedTotal: 0 });
    const copy = await byName(`${name} via ${format}`);
    expect(copy.kind).toBe(task.kind);
    expect(copy.classes.map((c) => c.name)).toEqual(task.classes.map((c) => c.name));
    const [a, b] = [await comparable(task), await comparable(copy)];
    if (format === 'yolo') {
      // Normalised coordinates with 7 digits: boxes come back within a thousandth of a pixel.
      for (const id of ctx.ids) {
        const [x, y] = [a[id] as { boxes: Record<string, number>[] }, b[id] as { boxes: Record<string, number>[] }];
        expect(y.boxes.length).toBe(x.boxes.length);
        y.boxes.forEach((box, i) =>
          (['x1', 'y1', 'x2', 'y2'] as const).forEach((k) => expect(box[k]).toBeCloseTo(x.boxes[i]![k]!, 3)),
        );
        (x as { boxes?: unknown }).boxes = (y as { boxes?: unknown }).boxes = [];
      }
    }
    expect(b).toEqual(a);
  });

  it('verification pairs through CSV', async () => {
    const ver = await byName('ver');
    await ctx.call('labels.export', { taskId: ver.id, format: 'csv', out: out('ver') });
    const csv = readFileSync(path.join(out('ver'), 'pairs.csv'), 'utf8');
    expect(csv.split('\r\n')[0]).toBe('image_a,image_b,same');
    expect(csv).toContain('series-a/IM0001.png,series-b/IM0001.png,1');
    await ctx.call('labels.import', { format: 'csv', path: path.join(out('ver'), 'pairs.csv'), taskName: 'ver copy' });
    const copy = await byName('ver copy');
    const pairs = (p: { imageA: number; imageB: number; same: boolean }[]) =>
      p.map((x) => [x.imageA, x.imageB, x.same]).sort();
    expect(pairs((await ctx.call('labels.pairs', { taskId: copy.id })).pairs)).toEqual(
      pairs((await ctx.call('labels.pairs', { taskId: ver.id })).pairs),
    );
  });

  it('names exported images by their path under the common folder, keeping same-named files apart', () => {
    const coco = JSON.parse(readFileSync(path.join(out('det-coco'), 'annotations.json'), 'utf8')) as {
      images: { file_name: string }[];
    };
    expect(coco.images.map((i) => i.file_name)).toEqual([
      'series-a/IM0001.png',
      'series-b/IM0001.png',
      'series-b/IM0002.png',
    ]);
    expect(readdirSync(path.join(out('det-voc'), 'Annotations', 'series-b')).sort()).toEqual([
      'IM0001.xml',
      'IM0002.xml',
    ]);
    expect(readFileSync(path.join(out('det-voc'), 'Annotations', 'series-a', 'IM0001.xml'), 'utf8')).toMatch(
      /<xmin>1<\/xmin>[\s\S]*<xmax>10<\/xmax>/,
    );
  });
});
