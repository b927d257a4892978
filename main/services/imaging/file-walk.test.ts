import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listImportFiles, walkFiles } from './file-walk';
import { loupeOwnPaths } from './workspace-files';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-walk-'));
  for (const file of ['b/2.png', 'b/1.png', 'a/z/3.png', 'top.png', '.hidden/4.png', 'b/.5.png']) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), 'x');
  }
  symlinkSync(path.join(root, 'b'), path.join(root, 'loop')); // A link to a folder: not followed.
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function all(inputs: string[], signal = new AbortController().signal) {
  const found = [];
  for await (const file of walkFiles(inputs, signal)) found.push(file);
  return found;
}

describe('walkFiles', () => {
  it('finds files depth first in sorted order, relative to their input, skipping hidden entries and folder links', async () => {
    expect((await all([root])).map((f) => f.relative)).toEqual(['top.png', 'a/z/3.png', 'b/1.png', 'b/2.png']);
    const direct = await all([path.join(root, 'top.png'), path.join(root, 'b')]);
    expect(direct.map((f) => [f.path, f.relative])).toEqual([
      [path.join(root, 'top.png'), 'top.png'],
      [path.join(root, 'b', '1.png'), '1.png'],
      [path.join(root, 'b', '2.png'), '2.png'],
    ]);
  });

  it('yields files as it goes (a walk can stop after the first), and a cancelled walk yields nothing', async () => {
    const walk = walkFiles([root], new AbortController().signal);
    expect((await walk.next()).value?.relative).toBe('top.png');
    await walk.return(undefined);
    const controller = new AbortController();
    controller.abort();
    expect(await all([root], controller.signal)).toEqual([]);
  });
});

describe('listImportFiles in and around a workspace', () => {
  /** A workspace inside the folder walked: Loupe's own files, and a folder of the user's (the demo's inbox). */
  function workspaceIn(parent: string): string {
    const ws = path.join(parent, 'ws');
    const own = ['loupe.db', 'loupe.db-wal', 'thumbnails/ab/x.webp', 'masks/1.png', 'runs/r/heatmap.png'];
    for (const file of [...own, 'batches/b/masks/m.png', 'sources/dropped.png', 'inbox/shift-1/part.png']) {
      mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
      writeFileSync(path.join(ws, file), 'x');
    }
    return ws;
  }
  const list = (inputs: string[], ws: string) =>
    listImportFiles(inputs, { exclude: loupeOwnPaths(ws), workspace: ws, signal: new AbortController().signal });

  it('a walk from a folder above the workspace passes the whole workspace over', async () => {
    const ws = workspaceIn(root);
    const files = await list([root], ws);
    expect(files.map((f) => path.relative(root, f))).toEqual(['a/z/3.png', 'b/1.png', 'b/2.png', 'top.png']);
  });

  it("a folder inside the workspace, or the workspace itself, is imported without Loupe's own files", async () => {
    const ws = workspaceIn(root);
    expect(await list([path.join(ws, 'inbox')], ws)).toEqual([path.join(ws, 'inbox/shift-1/part.png')]);
    expect(await list([ws], ws)).toEqual([path.join(ws, 'inbox/shift-1/part.png')]);
    expect(await list([path.join(ws, 'runs')], ws)).toEqual([]);
  });

  it('a file named on its own is listed wherever it is (a dropped file is imported from sources/)', async () => {
    const ws = workspaceIn(root);
    const dropped = path.join(ws, 'sources/dropped.png');
    expect(await list([dropped], ws)).toEqual([dropped]);
  });
});
