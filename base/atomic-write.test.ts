import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['async', (file: string, data: Uint8Array | string) => writeFileAtomic(file, data)],
  ['sync', async (file: string, data: Uint8Array | string) => writeFileAtomicSync(file, data)],
])('writeFileAtomic (%s)', (_name, write) => {
  it('writes a new file and replaces an old one whole', async () => {
    const file = path.join(dir, 'mask.png');
    await write(file, 'first');
    expect(readFileSync(file, 'utf8')).toBe('first');
    await write(file, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
  });

  it('leaves no temp files behind', async () => {
    await write(path.join(dir, 'a.json'), '{}');
    await write(path.join(dir, 'a.json'), '{"b":1}');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('keeps the old file and cleans up when the write cannot happen', async () => {
    const file = path.join(dir, 'keep.txt');
    writeFileSync(file, 'old');
    await expect(write(path.join(dir, 'missing-folder', 'x.txt'), 'new')).rejects.toThrow();
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });
});
