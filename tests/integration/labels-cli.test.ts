import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-labels-cli-'));
  ws = path.join(dir, 'ws');
  const workspace = Workspace.open(ws, { create: true });
  await addTestImages(workspace.db, path.join(dir, 'images'), [
    { name: 'a.png', width: 32, height: 24 },
    { name: 'b.png', width: 32, height: 24 },
    { name: 'c.png', width: 32, height: 24 },
  ]);
  workspace.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const labels = (...args: string[]) => runCli(['labels', ...args, '--workspace', ws]);

describe('loupe labels', () => {
  it('creates a task and lists it', async () => {
    const created = await labels('create-task', '--name', 'Defects', '--kind', 'detection', '--classes', 'crack, dent');
    expect(created).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/created task 1 "Defects" \(detection\) with 2 classes/),
    });
    const listed = await labels('tasks', '--json');
    expect(JSON.parse(listed.stdout)).toMatchObject([
      { name: 'Defects', kind: 'detection', classes: [{ name: 'crack' }, { name: 'dent' }] },
    ]);
  });

  it('imports COCO with a report, exports VOC, and splits', async () => {
    const coco = path.join(dir, 'in.json');
    writeFileSync(
      coco,
      JSON.stringify({
        images: [
          { id: 1, file_name: 'a.png' },
          { id: 2, file_name: 'zzz.png' },
          { id: 3, file_name: 'b.png' },
        ],
        categories: [{ id: 5, name: 'dent' }],
        annotations: [
          { image_id: 1, category_id: 5, bbox: [2, 3, 10, 5] },
          { image_id: 3, category_id: 5, bbox: [30, 3, 10, 5] },
        ],
      }),
    );
    // b.png's only box is malformed: importing the rest would mark b.png "checked, nothing there".
    const refused = await labels('import', '--format', 'coco', '--in', coco, '--task', 'Defects');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /1 malformed label, so nothing was imported.*annotation #2: bbox \[30,3,10,5\]: box lies outside the 32×24 image.*--skip-malformed/,
    );
    const imported = await labels('import', '--format', 'coco', '--in', coco, '--task', 'Defects', '--skip-malformed');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 1 boxes for 1 images into "Defects"/);
    expect(imported.stderr).toMatch(
      /skipped 2:\n {2}image "zzz.png": no image named "zzz.png" in this workspace\n {2}annotation #2: .*box lies outside the 32×24 image; the image's labels were left untouched/,
    );

    const out = path.join(dir, 'voc');
    const exported = await labels('export', '--format', 'voc', '--out', out);
    expect(exported).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/exported "Defects" as voc: 1 box on 1 image, 1 file in /),
    });
    expect(readFileSync(path.join(out, 'Annotations', 'a.xml'), 'utf8')).toMatch(
      /<name>dent<\/name>[\s\S]*<xmin>3<\/xmin>/,
    );

    const split = await labels(
      'split',
      '--task',
      'Defects',
      '--fractions',
      '0.5,0.5,0',
      '--group-by',
      'image',
      '--seed',
      '1',
      '--json',
    );
    expect(split.code).toBe(0);
    expect(JSON.parse(split.stdout)).toMatchObject({ newlyAssigned: 3, unassigned: 0 });
  });

  it('fails with a one-line reason and exit code 2 on bad input', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    const result = await labels('import', '--format', 'coco', '--in', bad, '--task', 'Defects');
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^loupe: .*bad\.json is not a readable COCO JSON file/);
    // Nothing importable: refused, and no empty task is left behind.
    const ghosts = path.join(dir, 'ghosts.json');
    writeFileSync(
      ghosts,
      JSON.stringify({
        images: [{ id: 1, file_name: 'zzz.png' }],
        categories: [{ id: 1, name: 'x' }],
        annotations: [],
      }),
    );
    const nothing = await labels('import', '--format', 'coco', '--in', ghosts, '--task', 'Ghosts');
    expect(nothing).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /Nothing could be imported, so nothing was changed: image "zzz.png": no image named/,
      ),
    });
    expect(JSON.parse((await labels('tasks', '--json')).stdout).map((t: { name: string }) => t.name)).toEqual([
      'Defects',
    ]);
    const none = await labels('export', '--format', 'masks', '--out', path.join(dir, 'm'));
    expect(none).toMatchObject({ code: 2, stderr: expect.stringMatching(/No task holds segmentation labels/) });
    expect(existsSync(path.join(dir, 'm'))).toBe(false);
    const format = await labels('export', '--format', 'pdf', '--out', path.join(dir, 'm'));
    expect(format.code).toBe(2);
  });
});
