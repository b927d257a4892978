import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../csv';
import { writeDemoFolder } from './demo-folder';
import { DEMO_TRUTH_FILE } from './demo-layout';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-demo-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const none = () => {};
const SMALL = { images: 40, inbox: 25, seed: 3 };

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** Every file's SHA-256 but the README's, which names the folder. */
function hashes(root: string): Record<string, string> {
  return Object.fromEntries(
    filesUnder(root)
      .filter((f) => f !== 'README.txt')
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(path.join(root, f)))
          .digest('hex'),
      ]),
  );
}

describe('writeDemoFolder', () => {
  it('writes an ImageFolder dataset with splits, an inbox and the inbox’s classes', async () => {
    const out = path.join(dir, 'demo');
    const summary = await writeDemoFolder(out, SMALL, none, new AbortController().signal);
    const count = (folder: string) => readdirSync(path.join(out, 'parts', folder)).length;
    // 20 a class: 70 % train, 15 % val, the rest test.
    for (const c of ['defect', 'ok'])
      expect([count(`train/${c}`), count(`val/${c}`), count(`test/${c}`)]).toEqual([14, 3, 3]);
    expect(summary.splits).toEqual({ train: 28, val: 6, test: 6 });
    // The same parts again, each image beside its mask (image-mask layout), byte for byte the same image.
    for (const [split, n] of Object.entries(summary.splits)) {
      const images = readdirSync(path.join(out, 'defects', split, 'images')).sort();
      expect(images).toHaveLength(n);
      expect(readdirSync(path.join(out, 'defects', split, 'masks')).sort()).toEqual(images);
      for (const c of ['defect', 'ok'])
        for (const name of readdirSync(path.join(out, 'parts', split, c)))
          expect(readFileSync(path.join(out, 'defects', split, 'images', name))).toEqual(
            readFileSync(path.join(out, 'parts', split, c, name)),
          );
    }
    // A COCO file per split lists every part of it, with a box on each defective one.
    for (const [split, n] of Object.entries(summary.splits)) {
      const coco = JSON.parse(readFileSync(path.join(out, 'defects', `boxes-${split}.json`), 'utf8')) as {
        images: { file_name: string }[];
        annotations: { bbox: number[] }[];
      };
      expect(coco.images.map((i) => i.file_name).sort()).toEqual(
        readdirSync(path.join(out, 'defects', split, 'images')).sort(),
      );
      expect(coco.images).toHaveLength(n);
      expect(coco.annotations).toHaveLength(readdirSync(path.join(out, 'parts', split, 'defect')).length);
    }
    expect(parseCsv(readFileSync(path.join(out, 'defects', 'labelmap.csv'), 'utf8'))).toEqual([
      ['index', 'name'],
      ['0', 'background'],
      ['1', 'defect'],
    ]);

    const [header, ...truth] = parseCsv(readFileSync(path.join(out, DEMO_TRUTH_FILE), 'utf8'));
    expect(header).toEqual(['file', 'class']);
    const inboxFiles = filesUnder(path.join(out, 'inbox')).map((f) => f.split(path.sep).join('/'));
    expect(truth.map((r) => r[0]).sort()).toEqual(inboxFiles);
    expect(truth.filter((r) => r[1] === 'defect')).toHaveLength(5);
    expect(summary).toMatchObject({ inbox: 25, inboxDefects: 5, classes: ['defect', 'ok'] });
    expect(readFileSync(path.join(out, 'README.txt'), 'utf8')).toContain('--format imagefolder');

    const meta = await sharp(path.join(out, 'inbox', inboxFiles[0]!)).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 64, 64, 1]);
    expect(readdirSync(dir)).toEqual(['demo']);
  });

  it('writes the same files for the same seed, and reports its progress to the end', async () => {
    const seen: number[] = [];
    await writeDemoFolder(
      path.join(dir, 'a'),
      SMALL,
      (done, total) => seen.push(done / total),
      new AbortController().signal,
    );
    await writeDemoFolder(path.join(dir, 'b'), SMALL, none, new AbortController().signal);
    await writeDemoFolder(path.join(dir, 'c'), { ...SMALL, seed: 4 }, none, new AbortController().signal);
    expect(hashes(path.join(dir, 'a'))).toEqual(hashes(path.join(dir, 'b')));
    expect(hashes(path.join(dir, 'a'))).not.toEqual(hashes(path.join(dir, 'c')));
    // 40 parts, 25 inbox parts, then 10 washers' 6 shots each and a reference of each of the 2 test washers.
    expect(seen).toHaveLength(127);
    expect(seen.at(-1)).toBe(1);
  });

  it('writes into an empty folder but refuses one with files, touching nothing', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    await writeDemoFolder(empty, SMALL, none, new AbortController().signal);
    expect(readdirSync(empty).sort()).toEqual([
      'README.txt',
      'defects',
      'demo.json',
      'inbox',
      'inbox-truth.csv',
      'parts',
      'washer-references',
      'washers',
    ]);

    const full = path.join(dir, 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'mine.txt'), 'keep');
    await expect(writeDemoFolder(full, SMALL, none, new AbortController().signal)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(readdirSync(full)).toEqual(['mine.txt']);
    expect(readdirSync(dir).sort()).toEqual(['empty', 'full']);
  });

  it('leaves nothing behind when cancelled', async () => {
    const controller = new AbortController();
    const progress = (done: number) => done === 10 && controller.abort();
    await expect(writeDemoFolder(path.join(dir, 'demo'), SMALL, progress, controller.signal)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    [{ images: 19 }, /images must be a whole number from 20/],
    [{ images: 40.5 }, /images must be a whole number/],
    [{ inbox: -1 }, /inbox must be a whole number from 0/],
  ])('refuses %o', async (args, message) => {
    await expect(writeDemoFolder(path.join(dir, 'demo'), args, none, new AbortController().signal)).rejects.toThrow(
      message,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
