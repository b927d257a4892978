import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkFiles } from './file-walk';

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
