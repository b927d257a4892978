/**
 * NIfTI volumes decode to what nibabel reads from the same bytes: nibabel writes each fixture
 * (tests/reference/nibabel_volumes.py), then reads it back; every slice's stored values must equal
 * nibabel's `dataobj.get_unscaled()[:, :, k].T`, the rescale must give nibabel's scaled values,
 * and spacing and axis codes must match nibabel's zooms and aff2axcodes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReference } from '../../../tests/helpers/python-reference';
import { decodeFile, openImage, readImageBytes } from '../index';

interface Case {
  name: string;
  shape: number[];
  dtype: string;
  version: 1 | 2;
  gzip: boolean;
  endian: '<' | '>';
  zooms: number[];
  affine_codes: string;
  form: 'sform' | 'qform';
  seed: number;
  slope?: number;
  inter?: number;
  labels?: number[];
  max_value?: number;
}

interface Reference {
  file: string;
  frames: number[][];
  scaled: number[] | null;
  zooms: number[];
  axcodes: string;
  slope: number;
  inter: number;
}

const base = { endian: '<', version: 1, gzip: false, form: 'sform', affine_codes: 'RAS' } as const;
const CASES: Case[] = [
  // CT as MSD ships it: int16, gzipped, scaled to HU, voxel axes LPS.
  {
    ...base,
    name: 'ct-int16',
    shape: [7, 5, 4],
    dtype: 'int16',
    gzip: true,
    zooms: [0.8, 0.6, 2.5],
    affine_codes: 'LPS',
    slope: 2,
    inter: -1024,
    seed: 1,
  },
  {
    ...base,
    name: 'mr-uint16-big-endian',
    shape: [6, 9, 3],
    dtype: 'uint16',
    endian: '>',
    zooms: [1, 1.2, 3],
    seed: 2,
  },
  {
    ...base,
    name: 'float32-nifti2',
    shape: [5, 4, 6],
    dtype: 'float32',
    version: 2,
    gzip: true,
    zooms: [0.5, 0.5, 1],
    affine_codes: 'LAS',
    slope: 0.5,
    inter: 3,
    seed: 3,
  },
  {
    ...base,
    name: 'float64-qform',
    shape: [4, 3, 2],
    dtype: 'float64',
    form: 'qform',
    affine_codes: 'RPI',
    zooms: [2, 3, 4],
    seed: 4,
  },
  {
    ...base,
    name: 'int32-labels',
    shape: [8, 6, 3],
    dtype: 'int32',
    gzip: true,
    labels: [0, 1, 2, 3],
    zooms: [1, 1, 1],
    seed: 5,
  },
  { ...base, name: 'uint32-wide', shape: [3, 3, 2], dtype: 'uint32', max_value: 1_000_000, zooms: [1, 1, 1], seed: 6 },
  { ...base, name: 'uint8-single-slice', shape: [9, 7, 1], dtype: 'uint8', zooms: [0.25, 0.3, 1], seed: 7 },
  {
    ...base,
    name: 'int8-nifti2-big-endian',
    shape: [4, 4, 2],
    dtype: 'int8',
    version: 2,
    endian: '>',
    zooms: [1, 1, 1],
    seed: 8,
  },
  { ...base, name: 'rgb24', shape: [3, 2, 2], dtype: 'RGB24', zooms: [1, 1, 1], seed: 9 },
];

/** The array type each stored type is kept in (int32 labels fit int16; uint32 up to 10^6 needs float32). */
const KEPT: Record<string, string> = {
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  float32: 'Float32Array',
  float64: 'Float32Array',
  int32: 'Int16Array',
  uint32: 'Float32Array',
  uint8: 'Uint8Array',
  int8: 'Int8Array',
  RGB24: 'Uint8Array',
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-nifti-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const references = runReference<Record<string, Reference>>('nibabel_volumes.py', { dir, cases: CASES });

describe('NIfTI volumes against nibabel', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const reference = references[testCase.name]!;
    const image = await openImage(await readImageBytes(reference.file), path.basename(reference.file));
    const [x, y, z] = testCase.shape as [number, number, number];
    expect(image.info).toMatchObject({ format: 'nifti', columns: x, rows: y, frames: z });
    expect(image.info.samplesPerPixel).toBe(testCase.dtype === 'RGB24' ? 3 : 1);
    expect(image.info.pixelSpacing).toEqual([
      expect.closeTo(reference.zooms[1]!, 6),
      expect.closeTo(reference.zooms[0]!, 6),
    ]);
    expect(image.info.attributes.Orientation).toBe(reference.axcodes);
    expect(image.info.rescaleSlope).toBe(reference.slope);
    expect(image.info.rescaleIntercept).toBe(reference.inter);
    expect(reference.frames).toHaveLength(z);
    for (let k = 0; k < z; k++) {
      const frame = await image.decodeFrame(k);
      expect(frame.data.constructor.name).toBe(KEPT[testCase.dtype]);
      expect(Array.from(frame.data)).toEqual(reference.frames[k]);
    }
    if (reference.scaled) {
      const first = await image.decodeFrame(0);
      const rescaled = Array.from(first.data, (v) => v * first.rescaleSlope + first.rescaleIntercept);
      rescaled.forEach((v, i) => expect(v).toBeCloseTo(reference.scaled![i]!, 3));
    }
  });

  it('keeps 16-bit depth and the signedness of the stored type', async () => {
    const { info } = await decodeFile(references['ct-int16']!.file);
    expect(info).toMatchObject({ bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1 });
    const float = await decodeFile(references['float32-nifti2']!.file);
    expect(float.info).toMatchObject({ bitsAllocated: 32, pixelRepresentation: 0 });
    expect(float.info.attributes.Format).toBe('NIfTI-2');
  });

  it('refuses a frame index past the last slice by name', async () => {
    await expect(decodeFile(references['ct-int16']!.file, { frame: 4 })).rejects.toThrow(/no frame index 4/);
  });
});
