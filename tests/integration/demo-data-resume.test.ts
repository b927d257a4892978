/**
 * Add demo data again where an earlier call left its work unfinished: a call stopped while the
 * detection task's three files were importing leaves that task holding some splits, and the next
 * call imports it again, whole; a demo folder an older Loupe wrote, without the washers, is given
 * them and their task, its parts untouched.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DETECTION_TASK_NAME, isLoupeError } from '../../contract/index';
import { CallSession } from '../../main/services/dispatcher';
import { caller } from '../helpers/labels';
import { engineFreeServices, prepareWorkspace } from '../helpers/prepare-workspace';

/** Each file's SHA-256 under `root`, by relative path. */
function hashesUnder(root: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const file = path.join(e.parentPath, e.name);
        return [path.relative(root, file), createHash('sha256').update(readFileSync(file)).digest('hex')];
      }),
  );
}

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-demo-again-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Add demo data again', () => {
  it('imports again, whole, a demo task whose imports a stopped call left unfinished', async () => {
    const { services, log } = engineFreeServices('the demo needs no engine');
    try {
      const call = caller(services, log);
      await call('workspace.open', { path: path.join(dir, 'stopped'), create: true });
      // Written: 40 parts, 10 inbox parts, 62 washer pictures (112); then the parts (40), their masks
      // (40) and the boxes in three files of 40/3 steps each: step 206 is inside the second file.
      const session = new CallSession(services.dispatcher);
      const stopped = await session.invoke('workspace.addDemoData', 'demo', { images: 40, inbox: 10 }, (p) => {
        if ((p as { done: number }).done >= 206) session.cancel('demo');
      });
      expect(stopped.ok).toBe(false);
      const boxes = (await call('labels.tasks', {})).tasks.find((t) => t.name === DEMO_DETECTION_TASK_NAME)!;
      const splitsOf = async (taskId: number) =>
        Object.fromEntries((await call('labels.splitCounts', { taskId })).splits.map((s) => [s.split, s.images]));
      // The stop reaches the import between files: the train split (and maybe val) is in, test is not.
      expect(await splitsOf(boxes.id)).toMatchObject({ train: 28, test: 0 });

      const again = await call('workspace.addDemoData', { images: 40, inbox: 10 });
      expect(again.detectionTaskId).toBe(boxes.id);
      expect(await splitsOf(boxes.id)).toEqual({ train: 28, val: 6, test: 6 });
      // Every defect of every split has its one box; a good part has none.
      const { splits } = await call('labels.splitCounts', { taskId: boxes.id });
      expect(splits.map((s) => s.classes.reduce((n, c) => n + c.instances, 0))).toEqual([14, 3, 3]);
      // Finished now: a third call adds nothing.
      await expect(call('workspace.addDemoData', { images: 40, inbox: 10 })).rejects.toSatisfy(
        (e) => isLoupeError(e) && e.code === 'CONFLICT',
      );
    } finally {
      await services.dispose();
    }
  });

  it('gives a demo folder from before the washers its washers and their task, leaving its parts as they were', async () => {
    const workspace = path.join(dir, 'older');
    await prepareWorkspace(workspace, async (call) => {
      const first = await call('workspace.addDemoData', { images: 40, inbox: 10 });
      const partsBefore = hashesUnder(path.join(first.folder, 'parts'));
      const washersBefore = hashesUnder(path.join(first.folder, 'washers'));
      const referencesBefore = hashesUnder(path.join(first.folder, 'washer-references'));
      expect(Object.keys(referencesBefore).sort()).toEqual(['washer-009.png', 'washer-010.png']);
      // As an older Loupe left it: no washers folder, demo.json without them, no washers' task.
      const { tasks } = await call('labels.tasks', {});
      const washerTask = tasks.find((t) => t.id === first.verificationTaskId)!;
      await call('labels.deleteTask', {
        taskId: washerTask.id,
        confirm: await call('labels.taskLoss', { taskId: washerTask.id }),
      });
      for (const folder of ['washers', 'washer-references'])
        rmSync(path.join(first.folder, folder), { recursive: true });
      const described = JSON.parse(readFileSync(path.join(first.folder, 'demo.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      delete described.washers;
      writeFileSync(path.join(first.folder, 'demo.json'), JSON.stringify(described));

      const seen: { done: number; total: number }[] = [];
      const second = await call('workspace.addDemoData', { images: 40, inbox: 10 }, (p) =>
        seen.push(p as { done: number; total: number }),
      );
      expect(second).toMatchObject({ folder: first.folder, washers: first.washers, taskId: first.taskId });
      // The washers written now are the ones a new folder of that seed gets, and the parts are untouched.
      expect(hashesUnder(path.join(first.folder, 'washers'))).toEqual(washersBefore);
      expect(hashesUnder(path.join(first.folder, 'washer-references'))).toEqual(referencesBefore);
      expect(hashesUnder(path.join(first.folder, 'parts'))).toEqual(partsBefore);
      expect(seen.at(-1)).toEqual({ done: 62 + 60, total: 62 + 60 });
      expect(readFileSync(path.join(first.folder, 'README.txt'), 'utf8')).toContain('--kind verification');
      const washers = await call('labels.splitCounts', { taskId: second.verificationTaskId });
      expect(washers.splits.map((s) => s.images)).toEqual([36, 12, 12]);
    });
  });
});
