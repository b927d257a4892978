/**
 * NIfTI-aware mutations (nifti1.h, nifti2.h): the header fields a reader trusts to size and place
 * the voxels (dim, datatype, bitpix, vox_offset, sizeof_hdr and magic), the ones it computes
 * with (pixdim, scl_slope/scl_inter, the qform quaternion and sform rows, their codes), and the
 * voxel data cut short. A .nii.gz is inflated, mutated and deflated again, so the damage reaches
 * the header reader and not only zlib (format-blind byte damage covers the gzip stream itself).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { EDGE_VALUES_32, type Mutated } from './mutate-bytes';
import type { Random } from './random';

interface Layout {
  version: 1 | 2;
  little: boolean;
}

/** Field offsets per version (NIfTI-1 fields are 16/32-bit, NIfTI-2 ones 16/64-bit). */
const FIELDS = {
  1: {
    dim: 40,
    dimBytes: 2,
    datatype: 70,
    bitpix: 72,
    pixdim: 76,
    floatBytes: 4,
    voxOffset: 108,
    slope: 112,
    inter: 116,
    qformCode: 252,
    sformCode: 254,
    quatern: 256,
    srow: 280,
    magic: 344,
    magicBytes: 4,
  },
  2: {
    dim: 16,
    dimBytes: 8,
    datatype: 12,
    bitpix: 14,
    pixdim: 104,
    floatBytes: 8,
    voxOffset: 168,
    slope: 176,
    inter: 184,
    qformCode: 344,
    sformCode: 348,
    quatern: 352,
    srow: 400,
    magic: 4,
    magicBytes: 8,
  },
} as const;

const DATATYPES = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304, 255, 9999, -1];
const BITPIX = [0, 1, 7, 8, 16, 24, 32, 64, 128, -8];
const DIMS = [0, 1, 2, 3, 4, 7, 8, -1, -32768, 32767, 65535, 1_000_000, 0x7fffffff];
const FLOATS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1, 1e-38, 1e38, 3.4e38];
const MAGICS = ['n+1\0', 'ni1\0', 'n+2\0', 'n+1\0\r\n\x1a\n', 'ni2\0\r\n\x1a\n', 'n+2\0\r\n\x1a\n', 'XXXX', '\0\0\0\0'];

function layoutOf(bytes: Uint8Array): Layout | null {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const little of [true, false]) {
    const size = view.getInt32(0, little);
    // A header cut short (by an earlier mutation) is left to the format-blind mutations.
    if (size === 348 && bytes.length >= 348) return { version: 1, little };
    if (size === 540 && bytes.length >= 540) return { version: 2, little };
  }
  return null;
}

type NiftiMutation = (bytes: Uint8Array, view: DataView, layout: Layout, rng: Random) => string;

function setInteger(view: DataView, at: number, width: number, value: number, little: boolean): void {
  if (at + width > view.byteLength) return;
  if (width === 2) view.setInt16(at, value, little);
  else if (width === 4) view.setInt32(at, value | 0, little);
  else view.setBigInt64(at, BigInt(Math.trunc(value)), little);
}

function setFloat(view: DataView, at: number, width: number, value: number, little: boolean): void {
  if (at + width > view.byteLength) return;
  if (width === 4) view.setFloat32(at, value, little);
  else view.setFloat64(at, value, little);
}

const dim: NiftiMutation = (_bytes, view, { version, little }, rng) => {
  const f = FIELDS[version];
  const k = rng.int(8);
  const value = rng.pick(DIMS);
  setInteger(view, f.dim + k * f.dimBytes, f.dimBytes, version === 1 ? (value << 16) >> 16 : value, little);
  return `dim[${k}] = ${value}`;
};

const datatype: NiftiMutation = (_bytes, view, { version, little }, rng) => {
  const value = rng.pick(DATATYPES);
  view.setInt16(FIELDS[version].datatype, value, little);
  return `datatype = ${value}`;
};

const bitpix: NiftiMutation = (_bytes, view, { version, little }, rng) => {
  const value = rng.pick(BITPIX);
  view.setInt16(FIELDS[version].bitpix, value, little);
  return `bitpix = ${value}`;
};

const voxOffset: NiftiMutation = (bytes, view, { version, little }, rng) => {
  const f = FIELDS[version];
  const offsets = [0, 1, 347, 348, 352, 539, 544, bytes.length, bytes.length + 1, 1e9, -1, ...EDGE_VALUES_32];
  // NIfTI-1 keeps vox_offset in a float, so it may also be NaN, infinite or fractional.
  const value = version === 1 && rng.chance(0.2) ? rng.pick([...FLOATS, 352.5]) : rng.pick(offsets);
  if (version === 1) setFloat(view, f.voxOffset, 4, value, little);
  else setInteger(view, f.voxOffset, 8, value, little);
  return `vox_offset = ${value}`;
};

const scaling: NiftiMutation = (_bytes, view, { version, little }, rng) => {
  const f = FIELDS[version];
  const field = rng.chance(0.5) ? 'scl_slope' : 'scl_inter';
  const value = rng.pick(FLOATS);
  setFloat(view, field === 'scl_slope' ? f.slope : f.inter, f.floatBytes, value, little);
  return `${field} = ${value}`;
};

const pixdim: NiftiMutation = (_bytes, view, { version, little }, rng) => {
  const f = FIELDS[version];
  const k = rng.int(8);
  const value = rng.pick(FLOATS);
  setFloat(view, f.pixdim + k * f.floatBytes, f.floatBytes, value, little);
  return `pixdim[${k}] = ${value}`;
};

const orientation: NiftiMutation = (_bytes, view, { version, little }, rng) => {
  const f = FIELDS[version];
  if (rng.chance(0.4)) {
    const field = rng.chance(0.5) ? 'qform_code' : 'sform_code';
    const value = rng.pick([0, 1, 2, 3, 4, 5, -1, 32767]);
    if (version === 1) view.setInt16(field === 'qform_code' ? f.qformCode : f.sformCode, value, little);
    else view.setInt32(field === 'qform_code' ? f.qformCode : f.sformCode, value, little);
    return `${field} = ${value}`;
  }
  // quatern_b..d, qoffset_x..z, then srow_x, srow_y, srow_z (4 each).
  const k = rng.int(18);
  const at = k < 6 ? f.quatern + k * f.floatBytes : f.srow + (k - 6) * f.floatBytes;
  const value = rng.pick(FLOATS);
  setFloat(view, at, f.floatBytes, value, little);
  return `${k < 6 ? `quatern/qoffset[${k}]` : `srow[${k - 6}]`} = ${value}`;
};

const header: NiftiMutation = (bytes, view, { version, little }, rng) => {
  const f = FIELDS[version];
  if (rng.chance(0.5)) {
    const value = rng.pick([0, 347, 348, 349, 540, 0x5c010000, 0x1c020000, -1]);
    view.setInt32(0, value, little);
    return `sizeof_hdr = ${value}`;
  }
  const magic = rng.pick(MAGICS).slice(0, f.magicBytes).padEnd(f.magicBytes, '\0');
  for (let i = 0; i < magic.length; i++) bytes[f.magic + i] = magic.charCodeAt(i);
  return `magic = ${JSON.stringify(magic)}`;
};

const MUTATIONS: readonly NiftiMutation[] = [
  dim,
  dim,
  datatype,
  bitpix,
  voxOffset,
  scaling,
  pixdim,
  orientation,
  header,
];

/** The voxel data cut short: the file ends inside the header, at vox_offset, or inside the voxels. */
function cutShort(bytes: Uint8Array, rng: Random): Mutated {
  const at = rng.pick([rng.int(348), 352, 544, rng.between(352, Math.max(352, bytes.length - 1))]);
  return { bytes: bytes.slice(0, Math.min(at, bytes.length)), what: `cut at byte ${at}` };
}

export function mutateNifti(file: Uint8Array, rng: Random): Mutated | null {
  const gzipped = file.length > 2 && file[0] === 0x1f && file[1] === 0x8b;
  let raw: Uint8Array;
  try {
    raw = gzipped ? new Uint8Array(gunzipSync(file)) : file.slice();
  } catch {
    return null;
  }
  const layout = layoutOf(raw);
  if (!layout) return null;
  const done: Mutated = rng.chance(0.15)
    ? cutShort(raw, rng)
    : (() => {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        return { bytes: raw, what: rng.pick(MUTATIONS)(raw, view, layout, rng) };
      })();
  return gzipped ? { bytes: new Uint8Array(gzipSync(done.bytes)), what: `${done.what} (inside the gzip)` } : done;
}
