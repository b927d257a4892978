/**
 * A task's dataset as the training service builds it from the workspace: masks renumbered from
 * their PNG values to class indices (a deleted class leaves a gap in mask values, not in
 * classes), images without a split or with a missing file left out and counted, tasks Loupe
 * cannot train refused with a reason.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTaskDataset, describeTaskDataset } from '../../main/services/training/task-dataset';
import { labelsWorkspace } from '../helpers/labels-services';

const IMAGES = [1, 2, 3, 4].map((i) => ({ name: `im${i}.png`, width: 4, height: 2 }));

describe('task datasets', () => {
  let env: Awaited<ReturnType<typeof labelsWorkspace>>;
  afterEach(() => env?.dispose());

  it('renumbers mask values to class indices and leaves out images without a split or file', async () => {
    env = await labelsWorkspace(IMAGES);
    const task = await env.call('labels.createTask', {
      name: 'Organs',
      kind: 'segmentation',
      classes: [{ name: 'liver' }, { name: 'spleen' }, { name: 'kidney' }],
    });
    const [liver, spleen, kidney] = task.classes;
    for (const imageId of env.ids) {
      const data = Uint8Array.from([
        0,
        liver!.maskIndex!,
        kidney!.maskIndex!,
        0,
        spleen!.maskIndex!,
        0,
        0,
        kidney!.maskIndex!,
      ]);
      await env.call('labels.save', {
        taskId: task.id,
        imageId,
        saveId: randomUUID(),
        baseRevision: 0,
        mask: { width: 4, height: 2, data },
      });
    }
    // Deleting spleen makes its pixels background; kidney keeps mask value 3 but becomes class 2.
    const loss = await env.call('labels.classLoss', { classId: spleen!.id });
    await env.call('labels.deleteClass', { classId: spleen!.id, confirm: loss });
    await env.call('labels.assignSplits', {
      taskId: task.id,
      fractions: { train: 1, val: 0, test: 0 },
      groupBy: { kind: 'image' },
    });
    env.db().prepare('DELETE FROM split_assignments WHERE image_id = ?').run(env.ids[2]);
    env.db().prepare('UPDATE images SET missing = 1 WHERE id = ?').run(env.ids[3]);

    const built = await buildTaskDataset(env.services.workspaces.require(), task.id);
    expect(built.dataset.classes).toEqual(['background', 'liver', 'kidney']);
    expect(built.dataset.samples.map((s) => s.id)).toEqual([String(env.ids[0]), String(env.ids[1])]);
    expect([...built.dataset.samples[0]!.mask!.data]).toEqual([0, 1, 2, 0, 0, 0, 0, 2]);
    expect(built.report.skipped).toEqual([
      { reason: 'images without a train/val/test split', count: 1 },
      { reason: 'images whose file is missing (relink it)', count: 1 },
    ]);
    expect(built.report).toMatchObject({
      counts: { train: 2, val: 0, test: 0 },
      sizes: [{ rows: 2, columns: 4, images: 2 }],
      channels: 1,
      bitsStored: 8,
    });
    // The defaults see the same dataset without reading a mask.
    expect(describeTaskDataset(env.services.workspaces.require(), task.id).report).toEqual(built.report);
  });

  it('refuses tasks it cannot train, saying why', async () => {
    env = await labelsWorkspace(IMAGES);
    const ws = () => env.services.workspaces.require();
    const multi = await env.call('labels.createTask', {
      name: 'Findings',
      kind: 'classification',
      multiLabel: true,
      classes: [{ name: 'a' }, { name: 'b' }],
    });
    expect(() => describeTaskDataset(ws(), multi.id)).toThrow(/several classes; Loupe trains single-label classifiers/);
    const one = await env.call('labels.createTask', { name: 'Only', kind: 'classification', classes: [{ name: 'a' }] });
    expect(() => describeTaskDataset(ws(), one.id)).toThrow(/has 1 class; training needs at least 2/);
    const unlabelled = await env.call('labels.createTask', {
      name: 'Empty',
      kind: 'classification',
      classes: [{ name: 'a' }, { name: 'b' }],
    });
    expect(() => describeTaskDataset(ws(), unlabelled.id)).toThrow(
      /has no labelled image with a train, val or test split/,
    );
  });
});
