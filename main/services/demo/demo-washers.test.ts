import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { washerCount, writeWasherFolder } from './demo-washers';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-washers-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const none = () => {};
const signal = () => new AbortController().signal;

function hashes(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
    .map((f) => `${path.relative(root, f)} ${createHash('sha256').update(readFileSync(f)).digest('hex')}`);
}

describe('writeWasherFolder', () => {
  it('lays out each split’s own washers, a folder each, six pictures a washer', async () => {
    const out = path.join(dir, 'washers');
    const summary = await writeWasherFolder(out, 12, 1, none, signal());
    const referencesFolder = path.join(dir, 'washer-references');
    expect(summary).toEqual({
      folder: out,
      referencesFolder,
      identities: { train: 7, val: 2, test: 3 },
      shotsPerWasher: 6,
    });
    // One more picture of each test washer, named for it: a gallery to enrol.
    expect(readdirSync(referencesFolder).sort()).toEqual(
      readdirSync(path.join(out, 'test'))
        .sort()
        .map((w) => `${w}.png`),
    );
    const names: string[] = [];
    for (const [split, n] of Object.entries(summary.identities)) {
      const washers = readdirSync(path.join(out, split));
      expect(washers).toHaveLength(n);
      names.push(...washers);
      for (const washer of washers)
        expect(readdirSync(path.join(out, split, washer)).sort()).toEqual([
          'shot-1.png',
          'shot-2.png',
          'shot-3.png',
          'shot-4.png',
          'shot-5.png',
          'shot-6.png',
        ]);
    }
    // No washer in two splits: a verifier is tested on washers it never saw.
    expect(new Set(names).size).toBe(12);
    const meta = await sharp(path.join(out, 'test', readdirSync(path.join(out, 'test'))[0]!, 'shot-1.png')).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 64, 64, 1]);
  });

  it('writes the same files for the same seed, and others for another', async () => {
    for (const [name, seed] of [
      ['a', 1],
      ['b', 1],
      ['c', 2],
    ] as const)
      await writeWasherFolder(path.join(dir, name, 'washers'), 10, seed, none, signal());
    expect(hashes(path.join(dir, 'a'))).toEqual(hashes(path.join(dir, 'b')));
    expect(hashes(path.join(dir, 'a'))).not.toEqual(hashes(path.join(dir, 'c')));
    // A reference is a picture of its washer of its own, not a copy of one of its shots.
    const reference = readFileSync(path.join(dir, 'a', 'washer-references', 'washer-009.png'));
    for (let k = 1; k <= 6; k++)
      expect(readFileSync(path.join(dir, 'a', 'washers', 'test', 'washer-009', `shot-${k}.png`))).not.toEqual(
        reference,
      );
  });

  it('leaves nothing behind when cancelled', async () => {
    const controller = new AbortController();
    const progress = (done: number) => done === 7 && controller.abort();
    await expect(
      writeWasherFolder(path.join(dir, 'washers'), 10, 1, progress, controller.signal),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('has a tenth as many washers as the demo has labelled parts, at least 10', () => {
    expect([washerCount(20), washerCount(2000), washerCount(20_000)]).toEqual([10, 200, 2000]);
  });
});
