/**
 * A NIfTI file's voxel grid and voxel → world affine as nibabel's `img.affine` gives it, for the
 * sform and for the qform (whose quaternion turns LPS and other orientations into rotations), with
 * NIfTI-1 and NIfTI-2 headers, plain and gzipped. This is what a label map is checked against its
 * image with (main/services/labels/interchange/nifti-masks.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReference } from '../../../tests/helpers/python-reference';
import { niftiGeometry } from './index';

/** float32 header fields hold the affine; nibabel reads the same float32s, so only rounding differs. */
const AFFINE_TOLERANCE = 1e-5;

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-nifti-geometry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = [
  { name: 'sform-lps', form: 'sform', affine_codes: 'LPS', version: 1, gzip: true },
  { name: 'qform-lps', form: 'qform', affine_codes: 'LPS', version: 1, gzip: false },
  { name: 'qform-ras', form: 'qform', affine_codes: 'RAS', version: 2, gzip: true },
  { name: 'qform-lai', form: 'qform', affine_codes: 'LAI', version: 1, gzip: true },
  { name: 'qform-pil', form: 'qform', affine_codes: 'PIL', version: 2, gzip: false },
].map((c, seed) => ({
  ...c,
  shape: [5, 4, 3],
  dtype: 'uint8',
  endian: '<',
  zooms: [0.7, 1.3, 2.5],
  offset: [-12.5, 30.25, 7],
  seed,
}));

describe('NIfTI geometry against nibabel', () => {
  const reference = runReference<Record<string, { file: string; affine: number[][]; axcodes: string }>>(
    'nibabel_volumes.py',
    { dir, cases: CASES },
  );
  it.each(CASES)('$name: shape, axis codes and affine equal nibabel’s', (c) => {
    const expected = reference[c.name]!;
    const geometry = niftiGeometry(readFileSync(expected.file));
    expect(geometry.shape).toEqual(c.shape);
    expect(geometry.axisCodes).toBe(expected.axcodes);
    expect(geometry.voxelSize.map((v) => +v.toFixed(5))).toEqual(c.zooms);
    for (let w = 0; w < 3; w++)
      for (let k = 0; k < 4; k++)
        expect(Math.abs(geometry.affine[w]![k]! - expected.affine[w]![k]!)).toBeLessThanOrEqual(AFFINE_TOLERANCE);
  });
});
