/**
 * Import of a mixed folder (every transfer syntax, 8/16-bit raster, broken and hostile files)
 * through the real services, decode workers and SQLite: counts, reasons, stored metadata,
 * pixels against reference decoders, thumbnails, re-import, cancel and relink.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportProgress, ImportReport, ReplyOf } from '../../contract/index';
import { CallSession } from '../../main/services/dispatcher';
import dicomParser from '../../ml/decode/dicom/parser-lib';
import type { Services } from '../../main/services/index';
import { ensureImagingFixtures, type ImagingFixtures } from '../fixtures/imaging/generate';
import { realServices } from '../helpers/services';
import { TYPES, invoke, reference } from './imaging-import-reference';

let fixtures: ImagingFixtures;
let services: Services;
let session: CallSession;
let tmp: string;
let report: ImportReport;
const progress: ImportProgress[] = [];

/** The session's reply, or its error thrown with the error's code. */
const call = <T>(channel: string, payload: unknown, onProgress?: (p: unknown) => void, requestId?: string) =>
  invoke<T>(session, channel, payload, onProgress, requestId);

beforeAll(async () => {
  fixtures = await ensureImagingFixtures();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-imaging-'));
  ({ services } = realServices());
  session = new CallSession(services.dispatcher);
  await call('workspace.open', { path: path.join(tmp, 'ws'), create: true });
  report = await call<ImportReport>('imaging.import', { paths: [fixtures.mixedFolder] }, (p) =>
    progress.push(p as ImportProgress),
  );
}, 120_000);

afterAll(async () => {
  await services?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

function outcome(name: string) {
  const found = report.files.find((f) => path.basename(f.path) === name);
  if (!found) throw new Error(`${name} is not in the report`);
  return found;
}

describe('importing a mixed folder', () => {
  it('imports every valid file, skips the duplicate and the objects that are not images, and reports each broken file with its reason', () => {
    const broken = fixtures.broken.filter((b) => b.expect !== 'imported' && b.expect !== 'duplicate');
    const skipped = fixtures.exportObjects.filter((o) => o.expect === 'skipped');
    const valid =
      fixtures.dicom.length +
      fixtures.raster.length +
      fixtures.broken.filter((b) => b.expect === 'imported').length +
      fixtures.exportObjects.filter((o) => o.expect === 'imported').length;
    expect(report).toMatchObject({
      imported: valid,
      duplicates: 1,
      skipped: skipped.length,
      failed: broken.length,
      cancelled: false,
    });
    expect(report.files).toHaveLength(valid + 1 + skipped.length + broken.length);
    for (const o of skipped)
      expect(outcome(o.name), o.name).toMatchObject({
        status: 'skipped',
        failure: 'non-image',
        message: `Not an image (${o.kind}).`,
      });
    for (const b of broken) {
      const o = outcome(b.name);
      expect(o, b.name).toMatchObject({ status: 'failed', failure: b.expect });
      expect(o.message!.length, b.name).toBeGreaterThan(15);
      expect(o.message).not.toMatch(/at .*\.(ts|js):\d+/); // No stack traces.
    }
    expect(outcome('absurd-size.dcm').message).toContain(
      "65535×65535 pixels (4295 megapixels), more than Loupe's limit of 268 megapixels per frame",
    );
    // copy-of-ct.dcm sorts first (broken/ < dicom/); the original is then the duplicate.
    expect(outcome('ct-signed.explicit-le.dcm')).toMatchObject({
      status: 'duplicate',
      message: expect.stringContaining('copy-of-ct.dcm'),
    });
  });

  it('streamed progress up to the total', () => {
    expect(progress[0]).toMatchObject({ phase: 'scanning' });
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ phase: 'importing', done: report.files.length, total: report.files.length });
  });

  it('stores the DICOM identifiers and geometry', async () => {
    const id = outcome('multiframe.j2k-lossless.dcm').imageId!;
    const { record, info } = await call<ReplyOf<'imaging.get'>>('imaging.get', { id });
    expect(record).toMatchObject({
      format: 'dicom',
      rows: 64,
      columns: 80,
      frames: 4,
      modality: 'XA',
      patientId: 'XA-001',
      missing: false,
    });
    expect(info).toMatchObject({
      studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
      seriesInstanceUid: '1.2.826.0.1.3680043.8.498.1.1',
      sopInstanceUid: '1.2.826.0.1.3680043.8.498.20',
      pixelSpacing: [0.5, 0.6],
      instanceNumber: 1,
      transferSyntaxUID: '1.2.840.10008.1.2.4.90',
    });
    const row = services.workspaces
      .require()
      .db.prepare(
        'SELECT patient_id, study_uid, series_uid, sop_uid, modality, pixel_spacing, instance_number, frames FROM images WHERE id = ?',
      )
      .get(id);
    expect(row).toEqual({
      patient_id: 'XA-001',
      study_uid: '1.2.826.0.1.3680043.8.498.1',
      series_uid: '1.2.826.0.1.3680043.8.498.1.1',
      sop_uid: '1.2.826.0.1.3680043.8.498.20',
      modality: 'XA',
      pixel_spacing: '[0.5,0.6]',
      instance_number: 1,
      frames: 4,
    });
    const ct = await call<ReplyOf<'imaging.get'>>('imaging.get', { id: outcome('ct-signed.jpeg-ls.dcm').imageId! });
    expect(ct.info).toMatchObject({
      modalityUnit: 'HU',
      windows: [
        { center: 40, width: 400 },
        { center: 60, width: 800 },
      ],
    });
  });

  it('serves every frame as stored values equal to the reference decoders', async () => {
    const picks = [
      'ct-signed.jpeg-ls',
      'ct-12bit.jpeg-extended',
      'rgb.jpeg-baseline',
      'multiframe.j2k-lossless',
      'signed-12bit.rle',
      'mono1-16bit.explicit-le',
    ];
    for (const name of picks) {
      const fixture = fixtures.dicom.find((f) => f.name === name)!;
      const expected = reference(fixture.expected, fixture.sampleType);
      const perFrame = fixture.rows * fixture.columns * fixture.samplesPerPixel;
      for (let frame = 0; frame < fixture.frames; frame++) {
        const pixels = await call<ReplyOf<'imaging.frame'>>('imaging.frame', {
          id: outcome(`${name}.dcm`).imageId!,
          frame,
        });
        expect(pixels.data).toBeInstanceOf(TYPES[fixture.sampleType]);
        let worst = 0;
        for (let i = 0; i < perFrame; i++)
          worst = Math.max(worst, Math.abs(pixels.data[i]! - expected[frame * perFrame + i]!));
        expect(worst, `${name} frame ${frame}`).toBeLessThanOrEqual(fixture.tolerance);
      }
    }
    const grey16 = fixtures.raster.find((r) => r.name === 'grey16.tif')!;
    const pixels = await call<ReplyOf<'imaging.frame'>>('imaging.frame', {
      id: outcome('grey16.tif').imageId!,
      frame: 0,
    });
    expect(pixels.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(pixels.data)).toEqual(Array.from(reference(grey16.expected, 'uint16')));
  });

  it('caches a thumbnail per image in the workspace and serves it', async () => {
    const ids = report.files.filter((f) => f.status === 'imported').map((f) => f.imageId!);
    const { thumbnails } = await call<ReplyOf<'imaging.thumbnails'>>('imaging.thumbnails', { ids: ids.slice(0, 50) });
    for (const t of thumbnails) {
      expect(t.bytes, `image ${t.id}`).toBeInstanceOf(Uint8Array);
      expect(new TextDecoder().decode(t.bytes!.subarray(8, 12))).toBe('WEBP');
    }
    const root = services.workspaces.require().root;
    const cached = readdirSync(path.join(root, 'thumbnails'), { recursive: true }).filter((f) =>
      String(f).endsWith('.webp'),
    );
    expect(cached).toHaveLength(report.imported);
  });

  it('never builds a path from DICOM values', () => {
    expect(outcome('traversal.dcm').status).toBe('imported');
    expect(existsSync('/tmp/loupe-escape')).toBe(false);
    expect(existsSync(path.join(tmp, 'escaped'))).toBe(false);
    const root = services.workspaces.require().root;
    const top = readdirSync(root).filter((f) => !f.startsWith('loupe.db'));
    expect(top).toEqual(['thumbnails']);
    expect(readdirSync(tmp)).toEqual(['ws']);
  });

  it('re-importing the same folder changes nothing', async () => {
    const before = (await call<ReplyOf<'imaging.list'>>('imaging.list', { limit: 1000 })).total;
    const again = await call<ImportReport>('imaging.import', { paths: [fixtures.mixedFolder] });
    expect(again).toMatchObject({
      imported: 0,
      duplicates: report.imported + report.duplicates,
      failed: report.failed,
    });
    expect((await call<ReplyOf<'imaging.list'>>('imaging.list', { limit: 1000 })).total).toBe(before);
  });

  it('fails every copy of a file that cannot be read, never calling a copy a duplicate of it', async () => {
    await call('workspace.open', { path: path.join(tmp, 'ws-copies'), create: true });
    const folder = path.join(tmp, 'copies');
    mkdirSync(folder);
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37 + 11) % 256));
    for (const name of ['a.dcm', 'b.dcm', 'c.dcm']) writeFileSync(path.join(folder, name), garbage);
    const copies = await call<ImportReport>('imaging.import', { paths: [folder] });
    expect(copies).toMatchObject({ imported: 0, duplicates: 0, failed: 3 });
    expect(copies.files.map((f) => f.status)).toEqual(['failed', 'failed', 'failed']);
    expect(new Set(copies.files.map((f) => f.message)).size).toBe(1);
  });

  it('imports every valid file after a damaged JPEG-LS and a damaged JPEG 2000 file', async () => {
    await call('workspace.open', { path: path.join(tmp, 'ws-damaged'), create: true });
    const folder = path.join(tmp, 'damaged-first');
    mkdirSync(folder);
    const valid = fixtures.dicom.filter((f) => f.variant === 'jpeg-ls' || f.variant === 'j2k-lossless');
    for (const [name, source] of [
      ['0-damaged.jpeg-ls.dcm', 'ct-signed.jpeg-ls'],
      ['0-damaged.j2k.dcm', 'rgb.j2k-lossless'],
    ] as const) {
      const bytes = new Uint8Array(readFileSync(fixtures.dicom.find((f) => f.name === source)!.file));
      const fragment = dicomParser.parseDicom(bytes).elements.x7fe00010!.fragments!.at(-1)!;
      // The second half of the codestream zeroed: the header reads, the codec fails.
      bytes.fill(0, fragment.position + (fragment.length >> 1), fragment.position + fragment.length);
      writeFileSync(path.join(folder, name), bytes);
    }
    for (const f of valid) cpSync(f.file, path.join(folder, `1-${f.name}.dcm`));
    const result = await call<ImportReport>('imaging.import', { paths: [folder] });
    expect(result.files.filter((f) => f.status === 'failed').map((f) => path.basename(f.path))).toEqual([
      '0-damaged.j2k.dcm',
      '0-damaged.jpeg-ls.dcm',
    ]);
    expect(result).toMatchObject({ imported: valid.length, failed: 2 });
  });

  it('stops when cancelled and reports what it did', async () => {
    await call('workspace.open', { path: path.join(tmp, 'ws-cancel'), create: true });
    const requestId = 'cancel-me';
    const cancelled = call<ImportReport>(
      'imaging.import',
      { paths: [fixtures.mixedFolder] },
      (p) => {
        if ((p as ImportProgress).phase === 'importing') session.cancel(requestId);
      },
      requestId,
    );
    const result = await cancelled;
    expect(result.cancelled).toBe(true);
    expect(result.files.length).toBeLessThan(report.files.length);
  });

  it('relinks a moved folder by content hash', async () => {
    await call('workspace.open', { path: path.join(tmp, 'ws-relink'), create: true });
    const original = path.join(tmp, 'scans-2024');
    cpSync(path.join(fixtures.mixedFolder, 'raster'), original, { recursive: true });
    const first = await call<ImportReport>('imaging.import', { paths: [original] });
    expect(first.imported).toBe(fixtures.raster.length);
    const moved = path.join(tmp, 'archive', 'scans-2024');
    cpSync(original, moved, { recursive: true });
    rmSync(original, { recursive: true });
    const id = first.files[0]!.imageId!;
    await expect(call('imaging.frame', { id, frame: 0 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const relinked = await call<ReplyOf<'imaging.relink'>>('imaging.relink', { folder: path.join(tmp, 'archive') });
    expect(relinked).toEqual({ scanned: fixtures.raster.length, relinked: fixtures.raster.length, stillMissing: 0 });
    const { record } = await call<ReplyOf<'imaging.get'>>('imaging.get', { id });
    expect(record).toMatchObject({ missing: false, path: expect.stringContaining(moved) });
    expect((await call<ReplyOf<'imaging.frame'>>('imaging.frame', { id, frame: 0 })).rows).toBe(96);
    await expect(call('imaging.relink', { folder: path.join(tmp, 'no-such-archive') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('There is no folder at'),
    });
    renameSync(moved, `${moved}-gone`);
  });
});
