/**
 * A task's chosen images (contract/task-images.ts) through the real channels: stored and read
 * back, counted before saving, refused when they name what does not exist, and honoured by
 * everything that enumerates a task's images — the Label grid's summary, splits, the training
 * dataset, label exports and pair generation. Labels of images that fall outside are kept.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sourceImageIds } from '../../main/services/review/queue';
import { buildTaskDataset } from '../../main/services/training/task-dataset';
import { addTestImages } from '../helpers/labels';
import { labelsWorkspace } from '../helpers/labels-services';

const IMAGES = [
  { name: 'chest/a1.png', width: 4, height: 4 },
  { name: 'chest/deep/a2.png', width: 4, height: 4 },
  { name: 'chest-old/b1.png', width: 4, height: 4 },
  { name: 'knee/c1.png', width: 4, height: 4 },
  { name: 'knee/c2.png', width: 4, height: 4 },
  { name: 'chest/a3.png', width: 4, height: 4 },
];

describe("a task's images", () => {
  let env: Awaited<ReturnType<typeof labelsWorkspace>>;
  afterEach(() => env?.dispose());

  async function labelledTask(name = 'Findings') {
    const task = await env.call('labels.createTask', {
      name,
      kind: 'classification',
      classes: [{ name: 'normal' }, { name: 'nodule' }],
    });
    // Every image labelled, alternating classes, so each image would be trained on if chosen.
    for (const [k, imageId] of env.ids.entries())
      await env.call('labels.assign', {
        taskId: task.id,
        imageIds: [imageId],
        mode: 'set',
        classId: task.classes[k % 2]!.id,
      });
    return task;
  }
  const folder = (name: string) => path.join(env.dir, 'images', name);

  it('starts with every image, stores a folder rule, and reads it back', async () => {
    env = await labelsWorkspace(IMAGES);
    const task = await labelledTask();
    expect(task.images).toEqual({ kind: 'all' });
    expect((await env.call('labels.summary', { taskId: task.id })).images).toHaveLength(IMAGES.length);

    const rule = { kind: 'rule' as const, folders: [folder('chest') + path.sep] };
    expect(await env.call('labels.countTaskImages', { taskId: task.id, images: rule })).toEqual({
      matching: 3,
      total: 6,
      labeledLeftOut: 3,
    });
    const updated = await env.call('labels.setTaskImages', { taskId: task.id, images: rule });
    // The trailing separator is kept as given; chest-old is not under chest.
    expect(updated.images).toEqual({
      kind: 'rule',
      folders: [folder('chest') + path.sep],
      modalities: [],
      classIds: [],
    });
    const { tasks } = await env.call('labels.tasks', {});
    expect(tasks[0]!.images).toEqual(updated.images);
    const shown = (await env.call('labels.summary', { taskId: task.id })).images.map((s) => s.imageId);
    expect(shown).toEqual([env.ids[0], env.ids[1], env.ids[5]]);
  });

  it('takes in later imports that match the rule, by folder and modality', async () => {
    env = await labelsWorkspace(IMAGES);
    const task = await labelledTask();
    env
      .db()
      .prepare("UPDATE images SET format = 'dicom', modality = 'CT' WHERE id IN (?, ?)")
      .run(env.ids[0], env.ids[3]);
    await env.call('labels.setTaskImages', {
      taskId: task.id,
      images: { kind: 'rule', folders: [folder('chest'), folder('knee')], modalities: ['ct'] },
    });
    expect((await env.call('labels.summary', { taskId: task.id })).images.map((s) => s.imageId)).toEqual([
      env.ids[0],
      env.ids[3],
    ]);
    const [later] = await addTestImages(env.db(), path.join(env.dir, 'images'), [
      { name: 'knee/c9.png', width: 4, height: 4 },
    ]);
    env.db().prepare("UPDATE images SET format = 'dicom', modality = 'CT' WHERE id = ?").run(later);
    const ids = (await env.call('labels.summary', { taskId: task.id })).images.map((s) => s.imageId);
    expect(ids).toEqual([env.ids[0], env.ids[3], later]);

    // PNG is a modality too: the file kind of images without a DICOM Modality.
    await env.call('labels.setTaskImages', { taskId: task.id, images: { kind: 'rule', modalities: ['PNG'] } });
    expect((await env.call('labels.summary', { taskId: task.id })).images).toHaveLength(4);
  });

  it('chooses by a class carried in another task, and by a frozen list', async () => {
    env = await labelsWorkspace(IMAGES);
    const findings = await labelledTask();
    const other = await env.call('labels.createTask', {
      name: 'Boxes',
      kind: 'detection',
      classes: [{ name: 'lesion' }],
    });
    const nodule = findings.classes[1]!.id;
    const byTag = await env.call('labels.setTaskImages', {
      taskId: other.id,
      images: { kind: 'rule', classIds: [nodule] },
    });
    expect(byTag.images).toMatchObject({ kind: 'rule', classIds: [nodule] });
    expect((await env.call('labels.summary', { taskId: other.id })).images.map((s) => s.imageId)).toEqual([
      env.ids[1],
      env.ids[3],
      env.ids[5],
    ]);
    await expect(
      env.call('labels.setTaskImages', { taskId: findings.id, images: { kind: 'rule', classIds: [nodule] } }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/its own classes/) });
    await expect(
      env.call('labels.setTaskImages', { taskId: other.id, images: { kind: 'rule', classIds: [9999] } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      env.call('labels.setTaskImages', { taskId: other.id, images: { kind: 'rule' } }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/at least one folder/) });
    await expect(
      env.call('labels.setTaskImages', { taskId: other.id, images: { kind: 'rule', folders: ['relative/dir'] } }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/absolute path/) });

    const listed = await env.call('labels.setTaskImages', {
      taskId: other.id,
      images: { kind: 'list', imageIds: [env.ids[4]!, env.ids[2]!, env.ids[2]!] },
    });
    expect(listed.images).toEqual({ kind: 'list', count: 2 });
    await expect(
      env.call('labels.setTaskImages', { taskId: other.id, images: { kind: 'list', imageIds: [env.ids[0]!, 4242] } }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/not in this workspace/) });
    // A list is frozen: removing an image from the workspace takes it out of the list.
    env.db().prepare('DELETE FROM images WHERE id = ?').run(env.ids[4]);
    expect((await env.call('labels.tasks', {})).tasks.find((t) => t.id === other.id)!.images).toEqual({
      kind: 'list',
      count: 1,
    });
    const back = await env.call('labels.setTaskImages', { taskId: other.id, images: { kind: 'all' } });
    expect(back.images).toEqual({ kind: 'all' });
    expect(env.db().prepare('SELECT COUNT(*) FROM task_image_list').pluck().get()).toBe(0);
  });

  it('never splits, trains on, exports or pairs an image outside the choice, and keeps its labels', async () => {
    env = await labelsWorkspace(IMAGES);
    const task = await labelledTask();
    await env.call('labels.setTaskImages', { taskId: task.id, images: { kind: 'rule', folders: [folder('chest')] } });
    const inside = new Set([env.ids[0], env.ids[1], env.ids[5]]);

    const split = await env.call('labels.assignSplits', {
      taskId: task.id,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      groupBy: { kind: 'image' },
    });
    expect(split.newlyAssigned).toBe(3);
    expect(split.unassigned).toBe(0);
    expect(split.splits.reduce((n, s) => n + s.images, 0)).toBe(3);
    const assigned = env.db().prepare('SELECT image_id FROM split_assignments WHERE task_id = ?').pluck().all(task.id);
    expect(new Set(assigned)).toEqual(inside);

    // Give every image a split, as if assigned before the choice: training still uses only the chosen ones.
    env.db().prepare("INSERT OR IGNORE INTO split_assignments SELECT ?, id, 'train', 'x' FROM images").run(task.id);
    const built = await buildTaskDataset(env.services.workspaces.require(), task.id);
    expect(new Set(built.dataset.samples.map((s) => Number(s.id)))).toEqual(inside);
    expect((await env.call('labels.splitCounts', { taskId: task.id })).splits.reduce((n, s) => n + s.images, 0)).toBe(
      3,
    );

    const out = path.join(env.dir, 'export');
    const report = await env.call('labels.export', { taskId: task.id, format: 'csv', out });
    expect(report.images).toBe(3);
    const csv = readFileSync(path.join(out, 'classes.csv'), 'utf8');
    expect(csv).toContain('a1.png');
    for (const name of ['b1.png', 'c1.png', 'c2.png']) expect(csv).not.toContain(name);

    const verification = await env.call('labels.createTask', { name: 'Same', kind: 'verification' });
    await env.call('labels.generatePairs', {
      taskId: verification.id,
      fromTaskId: task.id,
      seed: 1,
      positives: 10,
      sameSplitOnly: false,
    });
    const { pairs } = await env.call('labels.pairs', { taskId: verification.id });
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect(inside.has(p.imageA) && inside.has(p.imageB)).toBe(true);

    // Review queues of the task's split, unlabelled images or a class hold only its images; a named folder is taken as given.
    const chosen = (await env.call('labels.tasks', {})).tasks.find((t) => t.id === task.id)!;
    for (const source of [
      { kind: 'split', split: 'train' },
      { kind: 'class', classId: task.classes[0]!.id },
    ] as const)
      expect(sourceImageIds(env.db(), chosen, source).every((id) => inside.has(id))).toBe(true);
    expect(sourceImageIds(env.db(), chosen, { kind: 'class', classId: task.classes[0]!.id })).toEqual([env.ids[0]]);
    expect(sourceImageIds(env.db(), chosen, { kind: 'folder', folder: folder('knee') })).toEqual([
      env.ids[3],
      env.ids[4],
    ]);

    // Nothing was deleted: every image still carries its tag, and "all" brings them back.
    expect(env.db().prepare('SELECT COUNT(*) FROM class_tags WHERE task_id = ?').pluck().get(task.id)).toBe(6);
    await env.call('labels.setTaskImages', { taskId: task.id, images: { kind: 'all' } });
    const summary = (await env.call('labels.summary', { taskId: task.id })).images;
    expect(summary.filter((s) => s.labeled)).toHaveLength(6);
  });
});
