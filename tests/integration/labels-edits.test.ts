import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTask } from '../../contract/index';
import { labelsWorkspace } from '../helpers/labels-services';
import { H, W, maskWith, misfitSaves } from './labels-edits-cases';

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;

beforeAll(async () => {
  ctx = await labelsWorkspace(Array.from({ length: 6 }, (_, i) => ({ name: `scan-${i}.png`, width: W, height: H })));
});
afterAll(() => ctx.dispose());

describe('tasks and classes', () => {
  it('creates each kind, with colours and mask indices, and refuses duplicates', async () => {
    const seg = await ctx.call('labels.createTask', {
      name: 'Lesions',
      kind: 'segmentation',
      classes: [{ name: 'tumour' }, { name: 'oedema', color: '#FF0000' }],
    });
    expect(seg.classes.map((c) => [c.name, c.maskIndex, c.position])).toEqual([
      ['tumour', 1, 0],
      ['oedema', 2, 1],
    ]);
    expect(seg.classes[1]!.color).toBe('#ff0000');
    expect(seg.classes[0]!.color).toMatch(/^#[0-9a-f]{6}$/);
    await ctx.call('labels.createTask', {
      name: 'Findings',
      kind: 'classification',
      multiLabel: true,
      classes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    });
    await ctx.call('labels.createTask', {
      name: 'Parts',
      kind: 'detection',
      classes: [{ name: 'crack' }, { name: 'dent' }],
    });
    await ctx.call('labels.createTask', { name: 'Same part', kind: 'verification' });
    await expect(ctx.call('labels.createTask', { name: 'lesions', kind: 'detection' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: /already a task named/,
    });
    await expect(
      ctx.call('labels.createTask', { name: 'x', kind: 'detection', multiLabel: true }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(
      ctx.call('labels.addClass', { taskId: (await task('Same part')).id, name: 'no' }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await ctx.call('labels.tasks', {})).tasks.map((t) => t.kind)).toEqual([
      'segmentation',
      'classification',
      'detection',
      'verification',
    ]);
  });

  it('renames and recolours a class; its labels follow because they refer to the id', async () => {
    const t = await task('Findings');
    const a = t.classes[0]!;
    const saved = await ctx.call('labels.save', {
      taskId: t.id,
      imageId: ctx.ids[0]!,
      saveId: 's1',
      baseRevision: 0,
      classIds: [a.id],
    });
    await ctx.call('labels.updateClass', { classId: a.id, name: 'nodule', color: '#00ff00' });
    const labels = await ctx.call('labels.get', { taskId: t.id, imageId: ctx.ids[0]! });
    expect(labels.classIds).toEqual([a.id]);
    expect(labels.revision).toBe(saved.revision);
    expect((await task('Findings')).classes[0]).toMatchObject({ id: a.id, name: 'nodule', color: '#00ff00' });
    const reordered = await ctx.call('labels.reorderClasses', {
      taskId: t.id,
      classIds: [t.classes[2]!.id, t.classes[0]!.id, t.classes[1]!.id],
    });
    expect(reordered.classes.map((c) => c.name)).toEqual(['c', 'nodule', 'b']);
    await expect(ctx.call('labels.reorderClasses', { taskId: t.id, classIds: [a.id] })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});

describe('saving for an autosaving UI', () => {
  it('bumps the revision per save, refuses a stale one, and answers a retried one without applying it twice', async () => {
    const t = await task('Parts');
    const [crack, dent] = t.classes;
    const image = ctx.ids[1]!;
    const first = await ctx.call('labels.save', {
      taskId: t.id,
      imageId: image,
      saveId: 'a',
      baseRevision: 0,
      boxes: [{ classId: crack!.id, x1: 1, y1: 2, x2: 10, y2: 12 }],
    });
    expect(first).toMatchObject({ revision: 1, duplicate: false });
    const retry = await ctx.call('labels.save', {
      taskId: t.id,
      imageId: image,
      saveId: 'a',
      baseRevision: 0,
      boxes: [{ classId: crack!.id, x1: 1, y1: 2, x2: 10, y2: 12 }],
    });
    expect(retry).toMatchObject({ revision: 1, duplicate: true });
    const second = await ctx.call('labels.save', {
      taskId: t.id,
      imageId: image,
      saveId: 'b',
      baseRevision: 1,
      boxes: [
        { classId: crack!.id, x1: 1, y1: 2, x2: 10, y2: 12 },
        { classId: dent!.id, x1: 20.5, y1: 3.25, x2: 40, y2: 47.75 },
      ],
    });
    expect(second.revision).toBe(2);
    await expect(
      ctx.call('labels.save', { taskId: t.id, imageId: image, saveId: 'c', baseRevision: 1, boxes: [] }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: /changed elsewhere.*revision 2/,
    });
    const labels = await ctx.call('labels.get', { taskId: t.id, imageId: image });
    expect(labels).toMatchObject({ revision: 2, width: W, height: H, mask: null });
    expect(labels.boxes).toEqual([
      { classId: crack!.id, x1: 1, y1: 2, x2: 10, y2: 12 },
      { classId: dent!.id, x1: 20.5, y1: 3.25, x2: 40, y2: 47.75 },
    ]);
  });

  it('refuses labels that do not fit the task, with a reason', async () => {
    const parts = await task('Parts');
    const findings = await task('Findings');
    const seg = await task('Lesions');
    const image = ctx.ids[2]!;
    const cases = misfitSaves(parts, findings, seg, image);
    for (const [request, message] of cases)
      await expect(ctx.call('labels.save', request)).rejects.toMatchObject({ code: 'INVALID_REQUEST', message });
    await expect(
      ctx.call('labels.save', { taskId: parts.id, imageId: 9999, saveId: 'x6', baseRevision: 0, boxes: [] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ctx.call('labels.get', { taskId: parts.id, imageId: image })).revision).toBe(0);
  });

  it('keeps masks as 8-bit PNGs at source resolution, one new file per save, the old one removed', async () => {
    const seg = await task('Lesions');
    const [tumour, oedema] = seg.classes;
    const image = ctx.ids[0]!;
    const data = maskWith([
      [2, 2, 20, 10, tumour!.maskIndex!],
      [30, 5, 60, 40, oedema!.maskIndex!],
    ]);
    await ctx.call('labels.save', {
      taskId: seg.id,
      imageId: image,
      saveId: 'm1',
      baseRevision: 0,
      mask: { width: W, height: H, data },
    });
    const row1 = ctx
      .db()
      .prepare('SELECT file FROM masks WHERE task_id = ? AND image_id = ?')
      .pluck()
      .get(seg.id, image) as string;
    expect(row1).toMatch(new RegExp(`^masks/task-${seg.id}/image-${image}-[0-9a-f]{12}\\.png$`));
    const meta = await sharp(path.join(ctx.workspace, row1)).metadata();
    expect(meta).toMatchObject({ width: W, height: H, channels: 1, depth: 'uchar', format: 'png' });
    const back = await ctx.call('labels.get', { taskId: seg.id, imageId: image });
    expect(back.mask!.data).toEqual(data);
    const summary = (await ctx.call('labels.summary', { taskId: seg.id })).images.find((i) => i.imageId === image)!;
    expect(summary).toMatchObject({ labeled: true, classIds: [tumour!.id, oedema!.id].sort((a, b) => a - b) });

    await ctx.call('labels.save', {
      taskId: seg.id,
      imageId: image,
      saveId: 'm2',
      baseRevision: 1,
      mask: { width: W, height: H, data: maskWith([[0, 0, 5, 5, 1]]) },
    });
    const row2 = ctx
      .db()
      .prepare('SELECT file FROM masks WHERE task_id = ? AND image_id = ?')
      .pluck()
      .get(seg.id, image) as string;
    expect(row2).not.toBe(row1);
    expect(existsSync(path.join(ctx.workspace, row1))).toBe(false);
    expect(
      ctx
        .db()
        .prepare('SELECT class_id, pixels FROM mask_pixels WHERE task_id = ? AND image_id = ?')
        .all(seg.id, image),
    ).toEqual([{ class_id: tumour!.id, pixels: 25 }]);
  });

  it('reports a mask file changed behind its back instead of returning wrong pixels', async () => {
    const seg = await task('Lesions');
    const image = ctx.ids[3]!;
    await ctx.call('labels.save', {
      taskId: seg.id,
      imageId: image,
      saveId: 'd1',
      baseRevision: 0,
      mask: { width: W, height: H, data: maskWith([[0, 0, 8, 8, 1]]) },
    });
    const file = ctx
      .db()
      .prepare('SELECT file FROM masks WHERE task_id = ? AND image_id = ?')
      .pluck()
      .get(seg.id, image) as string;
    const other = await sharp(Buffer.alloc(W * H, 2), { raw: { width: W, height: H, channels: 1 } })
      .png()
      .toBuffer();
    writeFileSync(path.join(ctx.workspace, file), other);
    await expect(ctx.call('labels.get', { taskId: seg.id, imageId: image })).rejects.toMatchObject({
      code: 'IO_ERROR',
      message: /checksum/,
    });
    await ctx.call('labels.save', { taskId: seg.id, imageId: image, saveId: 'd2', baseRevision: 1, mask: null });
    expect((await ctx.call('labels.get', { taskId: seg.id, imageId: image })).mask).toBeNull();
  });

  it('bulk-assigns classes in one call, bumping only the images that changed', async () => {
    const t = await task('Findings');
    const [c, nodule] = t.classes;
    const images = ctx.ids.slice(0, 4);
    const before = await ctx.call('labels.get', { taskId: t.id, imageId: images[0]! });
    const added = await ctx.call('labels.assign', { taskId: t.id, imageIds: images, mode: 'add', classId: nodule!.id });
    // Image 0 already had "nodule": unchanged, same revision.
    expect(added.revisions[0]).toEqual({ imageId: images[0], revision: before.revision });
    expect(added.revisions.slice(1).every((r) => r.revision === 1)).toBe(true);
    await ctx.call('labels.assign', { taskId: t.id, imageIds: images.slice(0, 2), mode: 'add', classId: c!.id });
    expect((await ctx.call('labels.get', { taskId: t.id, imageId: images[1]! })).classIds.sort()).toEqual(
      [c!.id, nodule!.id].sort(),
    );
    await ctx.call('labels.assign', { taskId: t.id, imageIds: [images[1]!], mode: 'remove', classId: nodule!.id });
    await ctx.call('labels.assign', { taskId: t.id, imageIds: [images[3]!], mode: 'clear' });
    const summary = new Map((await ctx.call('labels.summary', { taskId: t.id })).images.map((s) => [s.imageId, s]));
    expect(summary.get(images[1]!)!.classIds).toEqual([c!.id]);
    expect(summary.get(images[3]!)!.labeled).toBe(false);
    await expect(
      ctx.call('labels.assign', { taskId: t.id, imageIds: [1234], mode: 'add', classId: c!.id }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ctx.call('labels.assign', { taskId: t.id, imageIds: images, mode: 'set' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });
});

describe('deleting with a count and a confirmation', () => {
  it('turns a deleted segmentation class into background, only after a matching confirmation', async () => {
    const seg = await task('Lesions');
    const [tumour, oedema] = seg.classes;
    const image = ctx.ids[4]!;
    await ctx.call('labels.save', {
      taskId: seg.id,
      imageId: image,
      saveId: 'del1',
      baseRevision: 0,
      mask: {
        width: W,
        height: H,
        data: maskWith([
          [0, 0, 10, 10, tumour!.maskIndex!],
          [10, 10, 20, 12, oedema!.maskIndex!],
        ]),
      },
    });
    const loss = await ctx.call('labels.classLoss', { classId: oedema!.id });
    expect(loss).toEqual({ images: 1, classTags: 0, boxes: 0, masks: 1, maskPixels: 20, pairs: 0 });
    await expect(
      ctx.call('labels.deleteClass', { classId: oedema!.id, confirm: { ...loss, maskPixels: 1 } }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await task('Lesions')).classes).toHaveLength(2);
    await ctx.call('labels.deleteClass', { classId: oedema!.id, confirm: loss });
    const after = await ctx.call('labels.get', { taskId: seg.id, imageId: image });
    expect(after.revision).toBe(2);
    expect(after.mask!.data).toEqual(maskWith([[0, 0, 10, 10, tumour!.maskIndex!]]));
    expect((await task('Lesions')).classes.map((c) => c.name)).toEqual(['tumour']);
    // The freed index is reused by the next class.
    expect((await ctx.call('labels.addClass', { taskId: seg.id, name: 'necrosis' })).maskIndex).toBe(2);
  });

  it('deletes a task with its labels and mask files', async () => {
    const seg = await task('Lesions');
    const loss = await ctx.call('labels.taskLoss', { taskId: seg.id });
    expect(loss.masks).toBe(2);
    await ctx.call('labels.deleteTask', { taskId: seg.id, confirm: loss });
    expect((await ctx.call('labels.tasks', {})).tasks.some((t) => t.id === seg.id)).toBe(false);
    expect(readdirSync(path.join(ctx.workspace, 'masks', `task-${seg.id}`))).toEqual([]);
    expect(ctx.db().prepare('SELECT COUNT(*) FROM mask_pixels').pluck().get()).toBe(0);
  });
});

async function task(name: string): Promise<LabelTask> {
  return (await ctx.call('labels.tasks', {})).tasks.find((t) => t.name === name)!;
}
