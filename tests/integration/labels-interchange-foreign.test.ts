/** Labels interchange: reading what other tools write, and what is wrong with it. */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressRle, rleEncode } from '../../contract/geometry/index';
import { H, W, byName, ctx, labelSampleTasks, tasks, useWorkspace } from './labels-interchange-workspace';

useWorkspace();
beforeAll(labelSampleTasks);

describe('reading what other tools write, and what is wrong with it', () => {
  it('reads COCO with non-contiguous category ids, polygons, both RLE forms and crowd regions', async () => {
    const region = new Uint8Array(W * H);
    for (let y = 20; y < 25; y++) for (let x = 30; x < 38; x++) region[y * W + x] = 1;
    const uncompressed = rleEncode(region, W, H);
    const file = path.join(ctx.dir, 'coco-in.json');
    const write = (skipIds: number[]): void =>
      writeFileSync(
        file,
        JSON.stringify({
          images: [
            { id: 7, file_name: 'series-a/IM0002.png', width: W, height: H },
            { id: 8, file_name: 'nowhere.png', width: W, height: H },
            { id: 9, file_name: 'IM0001.png', width: W, height: H },
            { id: 10, file_name: 'series-b/IM0002.png', width: 99, height: H },
          ],
          categories: [
            { id: 17, name: 'lesion' },
            { id: 3, name: 'organ' },
          ],
          annotations: [
            { id: 1, image_id: 7, category_id: 17, segmentation: [[2, 2, 12, 2, 12, 10, 2, 10]], iscrowd: 0 },
            { id: 2, image_id: 7, category_id: 3, segmentation: uncompressed, iscrowd: 1 },
            {
              id: 3,
              image_id: 7,
              category_id: 3,
              segmentation: compressRle(
                rleEncode(
                  region.map((v, i) => (i % W < 2 ? 1 : 0)),
                  W,
                  H,
                ),
              ),
              iscrowd: 0,
            },
            { id: 4, image_id: 7, category_id: 42, segmentation: [[0, 0, 1, 0, 1, 1]] },
            { id: 5, image_id: 8, category_id: 17, segmentation: [[0, 0, 1, 0, 1, 1]] },
            { id: 6, image_id: 7, category_id: 17, segmentation: { size: [5, 5], counts: [25] } },
            { id: 7, image_id: 7, category_id: 17, bbox: [1, 1, 2, 2] },
            { id: 8, image_id: 123, category_id: 17, segmentation: [[0, 0, 1, 0, 1, 1]] },
            // A size that is not two numbers (found by the import fuzz): named as such, not "40×[object Object]".
            { id: 9, image_id: 7, category_id: 17, segmentation: { size: [H, {}], counts: [1] } },
          ].filter((a) => !skipIds.includes(a.id)),
        }),
      );
    // Annotations 4, 6, 7 and 9 belong to an image the file labels: each is an error naming its field.
    write([]);
    await expect(ctx.call('labels.import', { format: 'coco', path: file, taskName: 'coco-in' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(
        /4 malformed labels.*annotation 4: category_id 42 is not among.*annotation 6: segmentation has an RLE of 5×5 for an image of 40×30.*annotation 7: has no segmentation.*annotation 9: segmentation has an RLE without size \[height, width\] in whole pixels/,
      ),
    });
    // Leaving that image untouched leaves nothing to import: refused as well.
    await expect(
      ctx.call('labels.import', { format: 'coco', path: file, taskName: 'coco-in', skipMalformed: true }),
    ).rejects.toMatchObject({ message: /^Nothing could be imported/ });
    expect(await byName('coco-in')).toBeUndefined();

    write([4, 6, 7, 9]);
    const report = await ctx.call('labels.import', { format: 'coco', path: file, taskName: 'coco-in' });
    const reasons = report.skipped.map((s) => `${s.where}: ${s.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^image "nowhere.png": no image named/),
      expect.stringMatching(/^image "IM0001.png": "IM0001.png" matches 2 images/),
      expect.stringMatching(/^image "series-b\/IM0002.png": is 99×30 in the file but 40×30/),
      expect.stringMatching(/^annotation 8: refers to image_id 123/),
    ]);
    expect(report).toMatchObject({
      images: 1,
      imported: { masks: 1 },
      classesCreated: ['lesion', 'organ'],
      skippedTotal: 4,
    });
    const task = await byName('coco-in');
    const mask = (await ctx.call('labels.get', { taskId: task.id, imageId: ctx.ids[1]! })).mask!;
    const at = (x: number, y: number): string | undefined =>
      task.classes.find((c) => c.maskIndex === mask.data[y * W + x])?.name;
    expect([at(5, 5), at(33, 22), at(0, 10), at(20, 20)]).toEqual(['lesion', 'organ', 'organ', undefined]);
  });

  it('refuses YOLO lines outside the image or with unknown classes (or, asked to, leaves their image alone), and skips VOC files that are not XML', async () => {
    const yolo = path.join(ctx.dir, 'yolo-in');
    mkdirSync(path.join(yolo, 'labels', 'series-a'), { recursive: true });
    mkdirSync(path.join(yolo, 'labels', 'series-b'), { recursive: true });
    writeFileSync(path.join(yolo, 'classes.txt'), 'crack\ndent\n');
    writeFileSync(
      path.join(yolo, 'labels', 'series-a', 'IM0001.txt'),
      '0 0.5 0.5 0.2 0.2\n1 1.3 0.5 0.2 0.2\n5 0.5 0.5 0.1 0.1\n0 0.5 0.5 0 0.1\n0 0.5 x 0.1 0.1\n',
    );
    writeFileSync(path.join(yolo, 'labels', 'series-b', 'IM0001.txt'), '1 0.5 0.5 0.2 0.2\n');
    writeFileSync(path.join(yolo, 'labels', 'ghost.txt'), '0 0.5 0.5 0.2 0.2\n');
    await expect(ctx.call('labels.import', { format: 'yolo', path: yolo, taskName: 'yolo-in' })).rejects.toMatchObject({
      message: expect.stringMatching(
        /4 malformed labels.*series-a\/IM0001.txt line 2: box lies outside the image.*line 3: class 5 is not an index of the 2 classes.*line 4: box has no area.*line 5: has a value that is not a number: "x"/,
      ),
    });
    expect(await byName('yolo-in')).toBeUndefined();
    const y = await ctx.call('labels.import', { format: 'yolo', path: yolo, taskName: 'yolo-in', skipMalformed: true });
    expect(y.skipped.map((s) => s.where)).toEqual([
      'ghost.txt',
      'series-a/IM0001.txt line 2',
      'series-a/IM0001.txt line 3',
      'series-a/IM0001.txt line 4',
      'series-a/IM0001.txt line 5',
    ]);
    expect(y.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/no image named/),
      "box lies outside the image (coordinates must be 0–1); the image's labels were left untouched",
      "class 5 is not an index of the 2 classes in classes.txt; the image's labels were left untouched",
      "box has no area (x2 ≤ x1 or y2 ≤ y1); the image's labels were left untouched",
      `has a value that is not a number: "x"; the image's labels were left untouched`,
    ]);
    // series-b/IM0001 is imported; series-a/IM0001, whose lines are malformed, is not touched.
    expect(y).toMatchObject({ images: 1, imported: { boxes: 1 } });
    const yoloTask = await byName('yolo-in');
    expect((await ctx.call('labels.get', { taskId: yoloTask.id, imageId: ctx.ids[0]! })).revision).toBe(0);

    const voc = path.join(ctx.dir, 'voc-in', 'Annotations');
    mkdirSync(voc, { recursive: true });
    writeFileSync(path.join(voc, 'broken.xml'), '<annotation><filename>IM0002.png</filename><object>');
    writeFileSync(
      path.join(voc, 'ok.xml'),
      '<annotation><filename>series-b/IM0002.png</filename><object><name>dent</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>',
    );
    // The only object of an image that has two boxes in "det": dropping it would wipe them.
    writeFileSync(
      path.join(voc, 'edge.xml'),
      '<annotation><filename>series-a/IM0001.png</filename><object><name>dent</name><bndbox><xmin>30</xmin><ymin>1</ymin><xmax>45</xmax><ymax>5</ymax></bndbox></object></annotation>',
    );
    await expect(
      ctx.call('labels.import', { format: 'voc', path: path.dirname(voc), taskName: 'det' }),
    ).rejects.toMatchObject({ message: /edge\.xml object 1: box lies outside the 40×30 image/ });
    const v = await ctx.call('labels.import', {
      format: 'voc',
      path: path.dirname(voc),
      taskName: 'det',
      skipMalformed: true,
    });
    expect(v.skipped).toEqual([
      { where: 'broken.xml', reason: expect.stringMatching(/not well-formed XML/) },
      {
        where: 'edge.xml object 1',
        reason: "box lies outside the 40×30 image; the image's labels were left untouched",
      },
    ]);
    const det = await byName('det');
    expect((await ctx.call('labels.get', { taskId: det.id, imageId: ctx.ids[3]! })).boxes).toEqual([
      { classId: det.classes[1]!.id, x1: 0, y1: 0, x2: 5, y2: 5 },
    ]);
    expect((await ctx.call('labels.get', { taskId: det.id, imageId: ctx.ids[0]! })).boxes).toHaveLength(2);
  });

  it('refuses a file that cannot be read at all, and changes nothing', async () => {
    const bad = path.join(ctx.dir, 'bad.json');
    writeFileSync(bad, '{"images": [');
    const before = (await tasks()).length;
    await expect(ctx.call('labels.import', { format: 'coco', path: bad, taskName: 'never' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: /not a readable COCO JSON/,
    });
    await expect(ctx.call('labels.import', { format: 'voc', path: bad, taskName: 'never' })).rejects.toMatchObject({
      message: /is a file/,
    });
    await expect(ctx.call('labels.import', { format: 'masks', path: ctx.dir, taskName: 'det' })).rejects.toMatchObject({
      message: /detection task; masks carries segmentation/,
    });
    expect((await tasks()).length).toBe(before);
  });

  it('imports palette and greyscale PNG masks through a labelmap, and a dry run changes nothing', async () => {
    const folder = path.join(ctx.dir, 'masks-in');
    mkdirSync(path.join(folder, 'masks', 'series-b'), { recursive: true });
    writeFileSync(path.join(folder, 'labelmap.csv'), 'index,name\n0,background\n5,vessel\n');
    const data = new Uint8Array(W * H);
    data.fill(5, 0, W * 3);
    const palette = Array.from({ length: 256 }, (_, i) => [i, 255 - i, 0] as [number, number, number]);
    writeFileSync(
      path.join(folder, 'masks', 'series-b', 'IM0001.png'),
      encode({ width: W, height: H, data, channels: 1, depth: 8, palette }),
    );
    writeFileSync(
      path.join(folder, 'masks', 'series-b', 'IM0002.png'),
      encode({ width: W, height: H, data: data.map((v) => (v ? 7 : 0)), channels: 1, depth: 8 }),
    );
    writeFileSync(
      path.join(folder, 'masks', 'rgb.png'),
      encode({ width: 2, height: 2, data: new Uint8Array(12), channels: 3, depth: 8 }),
    );
    const dry = await ctx.call('labels.import', { format: 'masks', path: folder, taskName: 'vessels', dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, createdTask: true, imported: { masks: 1 }, classesCreated: ['vessel'] });
    expect(dry.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/colour PNG|no image named/),
      expect.stringMatching(/value 7, which labelmap.csv does not name/),
    ]);
    expect(await byName('vessels')).toBeUndefined();
    const done = await ctx.call('labels.import', { format: 'masks', path: folder, taskName: 'vessels' });
    expect(done.imported.masks).toBe(1);
    const task = await byName('vessels');
    const mask = (await ctx.call('labels.get', { taskId: task.id, imageId: ctx.ids[2]! })).mask!;
    expect(mask.data.filter((v) => v === task.classes[0]!.maskIndex).length).toBe(W * 3);
  });

  it('is all or nothing: a failure while committing leaves no task, no labels and no mask files', async () => {
    const folder = path.join(ctx.dir, 'masks-fail');
    mkdirSync(path.join(folder, 'masks', 'series-a'), { recursive: true });
    for (const name of ['IM0001', 'IM0002'])
      writeFileSync(
        path.join(folder, 'masks', 'series-a', `${name}.png`),
        encode({ width: W, height: H, data: new Uint8Array(W * H).fill(1), channels: 1, depth: 8 }),
      );
    // Make the database refuse the second mask row, as a full disk or a bug would.
    ctx.db()
      .exec(`CREATE TRIGGER fail_second_mask BEFORE INSERT ON masks WHEN (SELECT COUNT(*) FROM masks WHERE file LIKE 'masks/task-' || NEW.task_id || '/%') >= 1
                   BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const pngs = (): string[] =>
      readdirSync(path.join(ctx.workspace, 'masks'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.png'))
        .sort();
    const before = pngs();
    try {
      await expect(
        ctx.call('labels.import', { format: 'masks', path: folder, taskName: 'doomed' }),
      ).rejects.toMatchObject({ code: 'INTERNAL' });
    } finally {
      ctx.db().exec('DROP TRIGGER fail_second_mask');
    }
    expect(await byName('doomed')).toBeUndefined();
    // Both mask files had been written before the commit failed; both are gone again.
    expect(pngs()).toEqual(before);
    expect(ctx.db().prepare("SELECT COUNT(*) FROM label_classes WHERE name = '1'").pluck().get()).toBe(0);
  });
});
