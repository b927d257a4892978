/**
 * `loupe labels import` of the dataset layouts as a user types it: one command brings in a
 * folder-per-class or an image + mask dataset, images and labels; CSV columns by --columns.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../main/services/workspace/workspace';
import { runCli } from '../helpers/cli';
import { requireBuild } from '../helpers/services';

let dir: string;
let ws: string;
let seed = 0;

async function writeImage(file: string, width = 10, height = 6): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const pixels = Buffer.alloc(width * height, ++seed * 13);
  writeFileSync(
    file,
    await sharp(pixels, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer(),
  );
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-layouts-cli-'));
  ws = path.join(dir, 'ws');
  Workspace.open(ws, { create: true }).close();
  for (const [split, cls, n] of [
    ['train', 'cat', 2],
    ['train', 'dog', 1],
    ['val', 'cat', 1],
  ] as const)
    for (let k = 0; k < n; k++) await writeImage(path.join(dir, 'pets', split, cls, `${cls}${k}.png`));
  for (const name of ['x', 'y']) {
    await writeImage(path.join(dir, 'scans', 'images', `${name}.png`));
    const data = new Uint8Array(60).map((_, i) => (i % 10 < 4 ? 1 : 0));
    mkdirSync(path.join(dir, 'scans', 'masks'), { recursive: true });
    writeFileSync(path.join(dir, 'scans', 'masks', `${name}.png`), encode({ width: 10, height: 6, data, channels: 1 }));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const labels = (...args: string[]) => runCli(['labels', ...args, '--workspace', ws]);

describe('loupe labels import of dataset layouts', () => {
  it('imports a folder-per-class dataset, images included, in one command, and exports its classes CSV', async () => {
    const result = await labels('import', '--format', 'imagefolder', '--task', 'Pets', path.join(dir, 'pets'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/imported 4 class tags for 4 images into "Pets" \(new task\)/);
    expect(result.stdout).toMatch(/added 4 images to the workspace/);
    expect(result.stdout).toMatch(/placed in train\/val\/test by the import: 4 images/);

    const out = path.join(dir, 'csv');
    const exported = await labels('export', '--format', 'csv', '--task', 'Pets', '--out', out);
    expect(exported.stdout).toMatch(/exported "Pets" as csv: 4 class tags on 4 images, 1 file in /);
    expect(readFileSync(path.join(out, 'classes.csv'), 'utf8')).toContain('train/cat/cat0.png,cat,train\r\n');
  });

  it('imports an image + mask dataset in one command', async () => {
    const result = await labels('import', '--format', 'image-mask', '--task', 'Scans', path.join(dir, 'scans'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/imported 2 masks for 2 images into "Scans" \(new task\)/);
    expect(result.stdout).toMatch(/added 2 images/);
  });

  it('reads pairs with --columns, and refuses a malformed mapping or a path given twice', async () => {
    const csv = path.join(dir, 'pairs.csv');
    writeFileSync(csv, 'q,r,match\ntrain/cat/cat0.png,val/cat/cat0.png,1\n');
    const ok = await labels(
      'import',
      '--format',
      'csv',
      '--in',
      csv,
      '--task',
      'Same',
      '--columns',
      'a=q,b=r,same=match',
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/imported 1 pairs/);
    const bad = await labels('import', '--format', 'csv', '--in', csv, '--task', 'Same', '--columns', 'left:q');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/give ROLE=COLUMN pairs separated by commas/);
    const twice = await labels('import', '--format', 'csv', '--in', csv, '--task', 'Same', csv);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/Give the file or folder to import once/);
  });
});
