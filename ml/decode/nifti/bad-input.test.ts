/**
 * Broken and hostile NIfTI files are refused with a named reason: each case patches or cuts a
 * valid file nibabel wrote, or gzips a header with far more data behind it than it declares.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { DecodeFailure } from '../../../contract/channels/imaging';
import { runReference } from '../../../tests/helpers/python-reference';
import { DecodeError, decodeFile, readImageBytes } from '../index';
import { MAX_INFLATED_HEADER_BYTES } from '../limits';

const MIB = 1024 ** 2;
/** The bomb's inflated size: 4× the slack past the declared size that inflation allows. */
const BOMB_BYTES = 4 * MAX_INFLATED_HEADER_BYTES;

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-nifti-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { base: reference, base2: reference2 } = runReference<Record<string, { file: string }>>('nibabel_volumes.py', {
  dir,
  cases: [
    { name: 'base', shape: [4, 4, 2], dtype: 'uint8', version: 1, gzip: false, endian: '<', zooms: [1, 1, 1] },
    { name: 'base2', shape: [4, 4, 2], dtype: 'uint8', version: 2, gzip: false, endian: '<', zooms: [1, 1, 1] },
  ].map((c) => ({ ...c, affine_codes: 'RAS', form: 'sform', seed: 1 })),
});
const valid = await readImageBytes(reference!.file);

/** A copy of the valid file with header fields changed (NIfTI-1 offsets, little-endian). */
function patched(change: (view: DataView, bytes: Uint8Array) => void, length = valid.length): Uint8Array {
  const bytes = valid.slice(0, length);
  change(new DataView(bytes.buffer), bytes);
  return bytes;
}
const withDims = (dims: number[]) => (view: DataView) =>
  [dims.length, ...dims].forEach((d, i) => view.setInt16(40 + 2 * i, d, true));

async function refusal(bytes: Uint8Array, fileName = 'x.nii'): Promise<DecodeError> {
  const file = path.join(dir, fileName);
  await import('node:fs/promises').then((fs) => fs.writeFile(file, bytes));
  const error = await decodeFile(file).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecodeError);
  return error as DecodeError;
}

async function expectRefused(bytes: Uint8Array, failure: DecodeFailure, message: RegExp, name?: string) {
  const error = await refusal(bytes, name);
  expect(error.failure).toBe(failure);
  expect(error.message).toMatch(message);
}

describe('bad NIfTI files', () => {
  it('decodes the unpatched file (the cases below differ from it only in what they break)', async () => {
    expect((await decodeFile(reference!.file)).info.frames).toBe(2);
  });

  it('refuses garbage, and a .nii cut inside its header, as no NIfTI', async () => {
    await expectRefused(
      Uint8Array.from({ length: 600 }, (_, i) => (i * 37) % 251),
      'not-an-image',
      /NIfTI/,
    );
    await expectRefused(valid.slice(0, 200), 'not-an-image', /named like NIfTI but has no NIfTI/);
  });

  it('refuses a .nii cut inside its voxels, saying how much is there', async () => {
    await expectRefused(
      valid.slice(0, valid.length - 10),
      'truncated-pixels',
      /holds 1 KiB of voxels where its header declares 1 KiB \(4×4×2 uint8\)/,
    );
  });

  it('refuses a .nii.gz cut short and one whose gzip data is damaged', async () => {
    const gz = gzipSync(valid);
    await expectRefused(gz.subarray(0, gz.length - 20), 'truncated-pixels', /truncated/, 'cut.nii.gz');
    const badCrc = Uint8Array.from(gz);
    badCrc[badCrc.length - 6]! ^= 0xff;
    await expectRefused(badCrc, 'malformed', /gzip data of this \.nii\.gz file is damaged/, 'crc.nii.gz');
  });

  it('stops a gzip bomb at the size its header declares plus the slack', async () => {
    const bomb = new Uint8Array(BOMB_BYTES);
    bomb.set(valid);
    const gz = gzipSync(bomb, { level: 9 });
    expect(gz.length).toBeLessThan(MIB);
    await expectRefused(
      gz,
      'too-large',
      /inflates to more than the 1 KiB its header declares \(plus 16 MiB of slack\).*gzip bomb/,
      'bomb.nii.gz',
    );
  });

  it('refuses sizes past the limits before reading voxels, naming the limit', async () => {
    await expectRefused(patched(withDims([30000, 30000, 1])), 'too-large', /limit of 268 megapixels per frame/);
    const huge = patched((view) => {
      withDims([4096, 4096, 100])(view);
      view.setInt16(70, 4, true); // int16
      view.setInt16(72, 16, true);
    });
    await expectRefused(huge, 'too-large', /3\.1 GiB decoded \(4096×4096×100 int16\), more than Loupe's 1 GiB limit/);
    // Gzipped, the same header is refused from its first KiB, before anything is inflated past it.
    await expectRefused(gzipSync(huge), 'too-large', /1 GiB limit/, 'huge.nii.gz');
  });

  it('refuses 4D volumes, unread datatypes and .hdr/.img pairs by name', async () => {
    await expectRefused(patched(withDims([4, 4, 1, 2])), 'unsupported', /is 4D \(4×4×1×2\): 2 volumes.*split it/);
    await expectRefused(
      patched((view) => view.setInt16(70, 32, true)),
      'unsupported',
      /stores complex64 voxels/,
    );
    await expectRefused(
      patched((_, bytes) => bytes.set([0x6e, 0x69, 0x31, 0], 344)),
      'unsupported',
      /\.hdr\/\.img pair/,
    );
  });

  it('refuses a header with impossible dimensions or voxel offset as malformed', async () => {
    await expectRefused(
      patched((view) => view.setInt16(40, 9, true)),
      'malformed',
      /declares 9 dimensions/,
    );
    await expectRefused(patched(withDims([4, 0, 2])), 'malformed', /every size must be 1 or more/);
    await expectRefused(
      patched((view) => view.setFloat32(108, 100, true)),
      'malformed',
      /vox_offset/,
    );
    // Found by the import fuzz: the message said "at byte NaN".
    const notANumber = await refusal(patched((view) => view.setFloat32(108, Number.NaN, true)));
    expect(notANumber.message).toMatch(/vox_offset \(where the voxels start\) is not a number/);
    expect(notANumber.message).not.toMatch(/NaN/);
  });

  it('refuses a NIfTI-2 size past what a number holds exactly by naming the limit (found by the import fuzz)', async () => {
    const bytes = (await readImageBytes(reference2!.file)).slice();
    // dim[2], a 64-bit integer in NIfTI-2, set to 2^57 + 2.
    new DataView(bytes.buffer).setBigInt64(32, 2n ** 57n + 2n, true);
    await expectRefused(bytes, 'too-large', /beyond Loupe's limit of 65535 voxels along an axis/);
  });

  it('reads an infinite voxel size as no pixel spacing, not an internal error (found by the import fuzz)', async () => {
    const { info } = await decodeFile(patched((view) => view.setFloat32(80, Number.POSITIVE_INFINITY, true)));
    expect(info.pixelSpacing).toBeNull();
  });
});
