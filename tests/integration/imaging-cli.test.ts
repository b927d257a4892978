/** `loupe decode`, `loupe import` and `loupe images list` as a user runs them: output files, JSON, exit codes, one-line errors. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImagingFixtures, type ImagingFixtures } from '../fixtures/imaging/generate';
import { deflatedDicom, pngClaiming, solidPng } from '../fixtures/imaging/bombs';
import { runCli } from '../helpers/cli';
import { garblePage, rootPageOf } from '../helpers/damaged-db';
import { requireBuild } from '../helpers/services';

let fixtures: ImagingFixtures;
let tmp: string;
beforeAll(async () => {
  requireBuild();
  fixtures = await ensureImagingFixtures();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-cli-imaging-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loupe decode', () => {
  it('writes the stored values of the asked frame and describes them', async () => {
    const fixture = fixtures.dicom.find((f) => f.name === 'multiframe.jpeg-ls')!;
    const out = path.join(tmp, 'frame2.raw');
    const result = await runCli(['decode', fixture.file, '--frame', '2', '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      rows: 64,
      columns: 80,
      frames: 4,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 12,
      pixelRepresentation: 0,
      photometricInterpretation: 'MONOCHROME2',
      transferSyntaxUID: '1.2.840.10008.1.2.4.80',
      rescaleSlope: 1,
      rescaleIntercept: 0,
      windowCenter: null,
      windowWidth: null,
      sampleType: 'uint16',
    });
    const frameBytes = 64 * 80 * 2;
    expect(readFileSync(out).equals(readFileSync(fixture.expected).subarray(2 * frameBytes, 3 * frameBytes))).toBe(
      true,
    );
  });

  it('decodes 16-bit PNG the same way', async () => {
    const fixture = fixtures.raster.find((f) => f.name === 'grey16.png')!;
    const out = path.join(tmp, 'png.raw');
    const result = await runCli(['decode', fixture.file, '--out', out]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      format: 'png',
      bitsAllocated: 16,
      sampleType: 'uint16',
      transferSyntaxUID: null,
    });
    expect(readFileSync(out).equals(readFileSync(fixture.expected))).toBe(true);
  });

  it('names the problem of a bad file in one line and exits with 2', async () => {
    const bad = fixtures.broken.find((b) => b.name === 'truncated-pixels.dcm')!;
    const result = await runCli(['decode', bad.file, '--out', path.join(tmp, 'bad.raw')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(
      /^loupe: truncated-pixels\.dcm: This DICOM file is truncated: it ends at byte \d+, before its pixel data does\.$/,
    );
    expect(result.stdout).toBe('');
  });

  it('names the frame indices when --frame is past the last one', async () => {
    const fixture = fixtures.dicom.find((f) => f.name === 'multiframe.jpeg-ls')!;
    const result = await runCli(['decode', fixture.file, '--frame', '9', '--out', path.join(tmp, 'none.raw')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/This image has 4 frames \(indices 0 to 3\); there is no frame index 9\.$/);
  });
});

describe('loupe import', () => {
  it('says how to make a workspace where a command needs one and there is none', async () => {
    const empty = path.join(tmp, 'empty-folder');
    mkdirSync(empty);
    for (const folder of [path.join(tmp, 'no-such-folder'), empty]) {
      const listed = await runCli(['images', 'list', '--workspace', folder]);
      expect(listed.code).toBe(1);
      expect(listed.stderr.trim()).toMatch(
        /^loupe: .* `loupe import --workspace W PATH…` or `loupe demo --workspace W` makes a workspace there\.$/,
      );
      expect(listed.stderr).not.toContain('Create a workspace there instead');
    }
  });

  it('imports a folder into a new workspace and exits 0 when nothing failed', async () => {
    const result = await runCli([
      'import',
      '--workspace',
      path.join(tmp, 'ws'),
      path.join(fixtures.mixedFolder, 'raster'),
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ imported: fixtures.raster.length, duplicates: 0, failed: 0 });
    const again = await runCli([
      'import',
      '--workspace',
      path.join(tmp, 'ws'),
      path.join(fixtures.mixedFolder, 'raster'),
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout.trim().split('\n').at(-1)).toBe(
      `0 imported, ${fixtures.raster.length} duplicates skipped, 0 failed.`,
    );
  });

  it("skips a PACS export folder's DICOMDIR and non-image objects by name and exits 0", async () => {
    const result = await runCli(['import', '--workspace', path.join(tmp, 'ws-export'), fixtures.exportFolder]);
    expect(result.code).toBe(0);
    const skipped = fixtures.exportObjects.filter((o) => o.expect === 'skipped');
    const imported = fixtures.exportObjects.length - skipped.length;
    expect(result.stdout).toMatch(/skipped {4}\S+SR000001: Not an image \(Structured Report\)\./);
    expect(result.stdout).toMatch(/skipped {4}\S+DICOMDIR: Not an image \(DICOMDIR\)\./);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(
      `${imported} imported, 0 duplicates skipped, ${skipped.length} not an image, 0 failed.`,
    );
  });

  it('prints the reasons and exits 1 when some files failed', async () => {
    const result = await runCli([
      'import',
      '--workspace',
      path.join(tmp, 'ws2'),
      path.join(fixtures.mixedFolder, 'broken'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed {5}\S+empty\.dcm: This file is empty \(0 bytes\)\./);
    expect(result.stderr.trim()).toMatch(/^loupe: \d+ files could not be imported\.$/);
  });
});

describe('loupe import of huge and bomb images', () => {
  it('refuses each by name through the decode workers, with no internal error and no stack trace', async () => {
    const folder = path.join(tmp, 'bombs');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'solid-20000.png'), await solidPng(20_000, 20_000));
    writeFileSync(path.join(folder, 'claims-32000.png'), pngClaiming(32_000, 32_000));
    writeFileSync(path.join(folder, 'deflate-bomb.dcm'), await deflatedDicom(64, 64, 256 * 1024 ** 2));
    const result = await runCli(['import', '--workspace', path.join(tmp, 'ws-bombs'), folder, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      failed: number;
      files: { path: string; failure?: string; message?: string }[];
    };
    expect(report.failed).toBe(3);
    const byName = Object.fromEntries(report.files.map((f) => [path.basename(f.path), f]));
    expect(byName['solid-20000.png']).toMatchObject({
      failure: 'too-large',
      message: expect.stringMatching(
        /20000×20000 pixels \(400 megapixels\), more than Loupe's limit of 268 megapixels per frame/,
      ),
    });
    expect(byName['claims-32000.png']).toMatchObject({
      failure: 'too-large',
      message: expect.stringMatching(/32000×32000 pixels/),
    });
    expect(byName['deflate-bomb.dcm']).toMatchObject({
      failure: 'too-large',
      message: expect.stringMatching(/possible deflate bomb/),
    });
    expect(result.stderr.trim()).toBe('loupe: 3 files could not be imported.');
  }, 180_000);
});

describe('loupe images list', () => {
  it('lists the images of a workspace as JSON and as tab-separated lines', async () => {
    const workspace = path.join(tmp, 'ws-list');
    expect((await runCli(['import', '--workspace', workspace, path.join(fixtures.mixedFolder, 'raster')])).code).toBe(
      0,
    );
    const json = await runCli(['images', 'list', '--workspace', workspace, '--json']);
    expect(json.code).toBe(0);
    const images = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(images).toHaveLength(fixtures.raster.length);
    for (const image of images)
      expect(Object.keys(image)).toEqual(['id', 'path', 'sha256', 'rows', 'columns', 'frames', 'modality']);
    const grey16 = fixtures.raster.find((f) => f.name === 'grey16.png')!;
    const listed = images.find((i) => path.basename(i.path as string) === 'grey16.png')!;
    expect(listed.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([listed.rows, listed.columns]).toEqual([grey16.rows, grey16.columns]);
    const text = await runCli(['images', 'list', '--workspace', workspace]);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe('id\tpath\tsha256\trows\tcolumns\tframes\tmodality');
    expect(lines).toHaveLength(images.length + 1);
    expect(lines[1]!.split('\t')).toEqual(Object.values(images[0]!).map((v) => String(v ?? '')));
  });

  it('says the workspace database is damaged, and how to recover it, when a page of it is garbage', async () => {
    const damaged = path.join(tmp, 'ws-damaged');
    mkdirSync(damaged);
    copyFileSync(path.join(tmp, 'ws-list', 'loupe.db'), path.join(damaged, 'loupe.db'));
    garblePage(path.join(damaged, 'loupe.db'), rootPageOf(path.join(damaged, 'loupe.db'), 'images'));
    const result = await runCli(['images', 'list', '--workspace', damaged]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^loupe: The workspace database (\S*\/)?loupe\.db is damaged .*sqlite3 loupe\.db "\.recover" \| sqlite3 recovered\.db .*last backup/,
    );
    expect(result.stderr).not.toMatch(/Something went wrong/);
  });
});
