/**
 * The public DICOM test files that ship with pydicom (Debian's python3-pydicom; many made by GDCM
 * and DCMTK), every one of them through Loupe's decode path (openImage, then each frame), against
 * tests/reference/pydicom_files.py: pixels pydicom decodes (or, where pydicom lacks the codec
 * here, GDCM or DCMTK) must agree, exactly for lossless transfer syntaxes and with PSNR ≥ 40 dB
 * for lossy ones; objects without pixels are skipped as "Not an image (…)"; files the references
 * refuse for their data are refused with a named reason, never an internal error.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REFERENCE_PYTHON, runReference } from '../../../tests/helpers/python-reference';
import { DecodeError } from '../errors';
import { openImage, readImageBytes } from '../index';
import type { DecodedFrame } from '../types';
import { nonImageKind } from './sop-classes';

/** The bar of issue 15: lossy decoders may differ in rounding, never by more than this. */
const MIN_LOSSY_PSNR_DB = 40;

interface ReferenceFile {
  file: string;
  decoder: 'pydicom' | 'gdcm' | 'dcmtk' | null;
  why: string;
  refused?: boolean;
  transfer_syntax: string | null;
  sop_class: string | null;
  lossy: boolean;
  frames?: number;
  dtype?: 'int64' | 'float64';
  shape?: [number, number, number, number];
  pixels?: string;
}

/** Where python3-pydicom keeps its test files (found, not hard-coded: the path differs between Python versions). */
function pydicomTestFiles(): string {
  const script = 'import os, pydicom.data; print(os.path.dirname(pydicom.data.__file__))';
  try {
    return path.join(execFileSync(REFERENCE_PYTHON, ['-c', script], { encoding: 'utf8' }).trim(), 'test_files');
  } catch (error) {
    throw new Error(`pydicom's test files are needed (apt-get install python3-pydicom): ${String(error)}`, {
      cause: error,
    });
  }
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder)
    .flatMap((name) => {
      const file = path.join(folder, name);
      return statSync(file).isDirectory() ? filesUnder(file) : [file];
    })
    .sort();
}

const root = pydicomTestFiles();
const out = mkdtempSync(path.join(os.tmpdir(), 'loupe-pydicom-'));
const reference = runReference<{ handlers: string[]; files: ReferenceFile[] }>('pydicom_files.py', {
  files: filesUnder(root),
  out,
});
const counts = { agreeing: 0, viaTools: 0, skipped: 0, refused: 0, unreferenced: 0 };

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  console.log(
    `pydicom's test files (pydicom handlers here: ${reference.handlers.join(', ')}): ${reference.files.length} files, ` +
      `${counts.agreeing} agreeing (${counts.viaTools} of them via GDCM/DCMTK), ${counts.skipped} skipped as not an image, ` +
      `${counts.refused} refused like the references, ${counts.unreferenced} that no reference decodes`,
  );
});

function expectedValues(entry: ReferenceFile): number[] {
  const bytes = readFileSync(entry.pixels!);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return entry.dtype === 'float64'
    ? Array.from(new Float64Array(buffer))
    : Array.from(new BigInt64Array(buffer), Number);
}

/** PSNR in dB against the frame's full stored range (2^BitsStored − 1). */
function psnr(actual: ArrayLike<number>, expected: ArrayLike<number>, bitsStored: number): number {
  let squares = 0;
  for (let i = 0; i < actual.length; i++) squares += (actual[i]! - expected[i]!) ** 2;
  const peak = 2 ** bitsStored - 1;
  return squares === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak * actual.length) / squares);
}

function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `sample ${i}: Loupe ${actual[i]}, reference ${expected[i]}`;
  }
  return null;
}

async function decodeAll(file: string): Promise<DecodedFrame[]> {
  const image = await openImage(await readImageBytes(file), path.basename(file));
  const frames: DecodedFrame[] = [];
  for (let frame = 0; frame < image.info.frames; frame++) frames.push(await image.decodeFrame(frame));
  return frames;
}

async function refusal(file: string): Promise<DecodeError> {
  try {
    await decodeAll(file);
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw new Error(`Loupe failed with an internal error instead of a named reason: ${String(error)}`, {
      cause: error,
    });
  }
  throw new Error('Loupe decoded a file the references have no pixels for');
}

const name = (entry: ReferenceFile): string => path.relative(root, entry.file);
const by = { pydicom: 'pydicom', gdcm: 'GDCM (gdcmconv --raw)', dcmtk: 'DCMTK' } as const;

describe("pydicom's public DICOM test files", () => {
  const decoded = reference.files.filter((entry) => entry.decoder !== null);
  it.each(
    decoded.map((entry) => [
      `${name(entry)} agrees with ${by[entry.decoder!]} (${entry.lossy ? `PSNR ≥ ${MIN_LOSSY_PSNR_DB} dB` : 'exact'})`,
      entry,
    ]),
  )('%s', async (_name, entry) => {
    const frames = await decodeAll(entry.file);
    const [count, rows, columns, samples] = entry.shape!;
    expect(frames.length).toBe(count);
    const values = expectedValues(entry);
    const size = rows * columns * samples;
    for (const frame of frames) {
      expect([frame.rows, frame.columns, frame.samplesPerPixel]).toEqual([rows, columns, samples]);
      // Wide cells (32-bit integers, floats) reach Loupe's callers as Float32Array, exact to 2^24: compare at that precision.
      const precision = frame.data instanceof Float32Array ? Math.fround : Number;
      const expected = values.slice(frame.frame * size, (frame.frame + 1) * size).map((v) => precision(v));
      const actual = Array.from(frame.data);
      if (entry.lossy) expect(psnr(actual, expected, frame.bitsStored)).toBeGreaterThanOrEqual(MIN_LOSSY_PSNR_DB);
      else expect(firstDifference(actual, expected), `frame ${frame.frame}`).toBeNull();
    }
    counts.agreeing++;
    if (entry.decoder !== 'pydicom') counts.viaTools++;
  });

  const withoutPixels = reference.files.filter((entry) => entry.decoder === null && entry.why === 'no pixel data');
  const dicom = withoutPixels.filter((entry) => entry.sop_class !== null);
  it.each(dicom.map((entry) => [`${name(entry)} is skipped: not an image (${entry.sop_class})`, entry]))(
    '%s',
    async (_name, entry) => {
      const error = await refusal(entry.file);
      expect(error.failure).toBe('non-image');
      const kind = nonImageKind(entry.sop_class);
      expect(error.message).toBe(
        kind ? `Not an image (${kind}).` : 'Not an image (a DICOM object without Pixel Data).',
      );
      counts.skipped++;
    },
  );

  const other = withoutPixels.filter((entry) => entry.sop_class === null);
  it.each(other.map((entry) => [`${name(entry)} (no DICOM image, for pydicom too) is refused by name`, entry]))(
    '%s',
    async (_name, entry) => {
      const error = await refusal(entry.file);
      expect(['not-an-image', 'non-image']).toContain(error.failure);
      // zipMR.gz: a gzipped DICOM file, which pydicom's own tests open through gzip.
      if (entry.file.endsWith('.gz')) expect(error.message).toMatch(/gzip-compressed.*unzip it/);
      if (error.failure === 'non-image') counts.skipped++;
      else counts.refused++;
    },
  );

  const refused = reference.files.filter((entry) => entry.refused);
  it.each(refused.map((entry) => [`${name(entry)} is refused with a named reason, as pydicom refuses it`, entry]))(
    '%s',
    async (_name, entry) => {
      const error = await refusal(entry.file);
      expect(error.failure).not.toBe('internal');
      expect(error.message).not.toMatch(/undefined|NaN|\[object/);
      counts.refused++;
    },
  );

  const unreferenced = reference.files.filter(
    (entry) => entry.decoder === null && !entry.refused && entry.why !== 'no pixel data',
  );
  it.each(
    unreferenced.map((entry) => [
      `${name(entry)}: no reference decodes it here (pydicom: ${entry.why.split(':')[0]}; GDCM, DCMTK fail too); Loupe decodes it or names why not`,
      entry,
    ]),
  )('%s', async (_name, entry) => {
    try {
      await decodeAll(entry.file);
    } catch (error) {
      expect(error).toBeInstanceOf(DecodeError);
    }
    counts.unreferenced++;
  });

  it('covers every file in the folder', () => {
    expect(decoded.length + withoutPixels.length + refused.length + unreferenced.length).toBe(reference.files.length);
    expect(decoded.length).toBeGreaterThan(0);
  });
});
