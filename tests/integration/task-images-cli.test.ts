/** `loupe labels create-task --images-…` and `loupe labels task-images`: a task's images from the command line. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../main/services/workspace/workspace';
import { runCli } from '../helpers/cli';
import { addTestImages } from '../helpers/labels';
import { requireBuild } from '../helpers/services';

let dir: string;
let ws: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-task-images-cli-'));
  ws = path.join(dir, 'ws');
  const workspace = Workspace.open(ws, { create: true });
  const ids = await addTestImages(workspace.db, path.join(dir, 'images'), [
    { name: 'chest/a.png', width: 8, height: 8 },
    { name: 'chest/b.png', width: 8, height: 8 },
    { name: 'knee/c.png', width: 8, height: 8 },
  ]);
  workspace.db.prepare("UPDATE images SET format = 'dicom', modality = 'CT' WHERE id = ?").run(ids[2]);
  workspace.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const labels = (...args: string[]) => runCli(['labels', ...args, '--workspace', ws], { cwd: dir });

describe('loupe labels and a task’s images', () => {
  it('creates a task on a folder (relative to the current folder), then changes and resets its images', async () => {
    const created = await labels(
      'create-task',
      '--name',
      'Chest',
      '--kind',
      'classification',
      '--classes',
      'normal,nodule',
      '--images-folder',
      'images/chest',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`"Chest" uses under ${path.join(dir, 'images', 'chest')}: 2 of 3 images`);

    const modality = await labels(
      'task-images',
      '--task',
      'Chest',
      '--images-modality',
      'ct',
      '--images-modality',
      'png',
    );
    expect(modality.stdout).toMatch(/"Chest" uses CT or PNG: 3 of 3 images/);
    const listed = await labels('tasks');
    expect(listed.stdout).toMatch(/Chest\tclassification\tnormal, nodule\tCT or PNG/);

    const bad = await labels('task-images', '--task', 'Chest', '--images-tag', 'Nope:x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--images-tag takes TASK:CLASS.*no task matches "Nope:x"/);
    const both = await labels('task-images', '--task', 'Chest', '--all-images', '--images-modality', 'CT');
    expect(both.code).toBe(2);

    const reset = await labels('task-images', '--task', 'Chest', '--all-images');
    expect(reset.stdout).toMatch(/"Chest" uses all images: 3 of 3 images/);
  });
});
