/**
 * DICOM-aware mutations (PS3.5 7.1): element values, lengths and VRs of the attributes the
 * decoders trust (Rows, Columns, BitsAllocated, the transfer syntax, …), and the item lengths of
 * encapsulated pixel data. Elements are found by their tag bytes in either byte order, so the
 * same code serves implicit, explicit and big-endian files (a deflated file's data set is
 * compressed and only its meta header and bytes are reachable: the deflate stream itself is
 * damaged by the format-blind mutations).
 */
import { EDGE_VALUES_32, splice, type Mutated } from './mutate-bytes';
import type { Random } from './random';

interface ElementAt {
  tagAt: number;
  /** Offset of the VR bytes, for explicit-VR elements. */
  vrAt: number | null;
  lengthAt: number;
  lengthSize: 2 | 4;
  valueAt: number;
  length: number;
  littleEndian: boolean;
}

/** VRs with a reserved 2 bytes and a 4-byte length in explicit VR (PS3.5 Table 7.1-1). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

type Tag = readonly [group: number, element: number];
const T = {
  transferSyntax: [0x0002, 0x0010],
  samplesPerPixel: [0x0028, 0x0002],
  photometric: [0x0028, 0x0004],
  planar: [0x0028, 0x0006],
  frames: [0x0028, 0x0008],
  rows: [0x0028, 0x0010],
  columns: [0x0028, 0x0011],
  bitsAllocated: [0x0028, 0x0100],
  bitsStored: [0x0028, 0x0101],
  highBit: [0x0028, 0x0102],
  pixelRepresentation: [0x0028, 0x0103],
  windowCenter: [0x0028, 0x1050],
  windowWidth: [0x0028, 0x1051],
  intercept: [0x0028, 0x1052],
  slope: [0x0028, 0x1053],
  pixelData: [0x7fe0, 0x0010],
  item: [0xfffe, 0xe000],
  sequenceEnd: [0xfffe, 0xe0dd],
} as const satisfies Record<string, Tag>;

const US_TAGS: readonly Tag[] = [
  T.samplesPerPixel,
  T.planar,
  T.rows,
  T.columns,
  T.bitsAllocated,
  T.bitsStored,
  T.highBit,
  T.pixelRepresentation,
];
const ANY_TAGS: readonly Tag[] = Object.values(T);

const US_VALUES = [0, 1, 2, 3, 4, 7, 8, 12, 15, 16, 17, 24, 31, 32, 33, 64, 0x7fff, 0x8000, 0xffff];

const STRING_VALUES: readonly [Tag, readonly string[]][] = [
  [T.frames, ['0', '-1', '2', '99999', '2147483648', 'abc', '1.5', '', '  ']],
  [T.photometric, ['RGB', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT', 'PALETTE COLOR', 'MONOCHROME1', 'HSV', '']],
  [T.slope, ['0', 'NaN', '1e309', '-', 'abc', '-1e308', '']],
  [T.intercept, ['NaN', '1e309', 'x', '-3e38']],
  [T.windowCenter, ['NaN', '', '1\\2\\3\\4', 'abc']],
  [T.windowWidth, ['0', '-5', 'NaN', '']],
];

const UIDS = [
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.201',
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.4.100',
  '1.2.3.4',
  '',
  'not a uid',
];

const VRS = ['OB', 'OW', 'SQ', 'UN', 'US', 'UL', 'SS', 'FD', 'DS', 'IS', 'UI', 'CS', 'XX', '\0\0'];

const MAX_MATCHES = 8;

function locate(bytes: Uint8Array, [group, element]: Tag): ElementAt[] {
  const found: ElementAt[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    for (let at = 0; at + 8 <= bytes.length && found.length < MAX_MATCHES; at++) {
      if (view.getUint16(at, littleEndian) !== group || view.getUint16(at + 2, littleEndian) !== element) continue;
      const vr = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!);
      const explicit = /^[A-Z]{2}$/.test(vr) && group !== 0xfffe;
      const long = !explicit || LONG_VRS.has(vr);
      const lengthAt = explicit ? (long ? at + 8 : at + 6) : at + 4;
      const lengthSize = long ? 4 : 2;
      if (lengthAt + lengthSize > bytes.length) continue;
      const length = lengthSize === 4 ? view.getUint32(lengthAt, littleEndian) : view.getUint16(lengthAt, littleEndian);
      found.push({
        tagAt: at,
        vrAt: explicit ? at + 4 : null,
        lengthAt,
        lengthSize,
        valueAt: lengthAt + lengthSize,
        length,
        littleEndian,
      });
    }
  }
  return found;
}

function writeLength(bytes: Uint8Array, el: ElementAt, value: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (el.lengthSize === 4) view.setUint32(el.lengthAt, value >>> 0, el.littleEndian);
  else view.setUint16(el.lengthAt, value & 0xffff, el.littleEndian);
}

/** Replaces an element's value, padded to an even length as PS3.5 asks, and fixes its length field. */
function replaceValue(bytes: Uint8Array, el: ElementAt, value: Uint8Array): Uint8Array {
  const padded = value.length % 2 ? Uint8Array.from([...value, 0x20]) : value;
  const old = Math.min(el.length, bytes.length - el.valueAt);
  const out = splice(bytes, el.valueAt, old, padded);
  writeLength(out, el, padded.length);
  return out;
}

const tagName = ([g, e]: Tag): string => `(${g.toString(16).padStart(4, '0')},${e.toString(16).padStart(4, '0')})`;

function pickElement(bytes: Uint8Array, tags: readonly Tag[], rng: Random): { tag: Tag; el: ElementAt } | null {
  for (let tries = 0; tries < 4; tries++) {
    const tag = rng.pick(tags);
    const found = locate(bytes, tag);
    if (found.length) return { tag, el: rng.pick(found) };
  }
  return null;
}

type DicomMutation = (bytes: Uint8Array, rng: Random) => Mutated | null;

const usValue: DicomMutation = (bytes, rng) => {
  const hit = pickElement(bytes, US_TAGS, rng);
  if (!hit || hit.el.valueAt + 2 > bytes.length) return null;
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const old = view.getUint16(hit.el.valueAt, hit.el.littleEndian);
  const value = rng.pick([...US_VALUES, old + 1, old * 2, old >> 1]) & 0xffff;
  view.setUint16(hit.el.valueAt, value, hit.el.littleEndian);
  return { bytes: out, what: `${tagName(hit.tag)} ${old} → ${value}` };
};

const lengthField: DicomMutation = (bytes, rng) => {
  const hit = pickElement(bytes, ANY_TAGS, rng);
  if (!hit) return null;
  const out = bytes.slice();
  const value = rng.pick([...EDGE_VALUES_32, hit.el.length + 1, hit.el.length - 1, hit.el.length * 2, bytes.length]);
  writeLength(out, hit.el, value);
  return { bytes: out, what: `${tagName(hit.tag)} length ${hit.el.length} → ${value >>> 0}` };
};

const vrSwap: DicomMutation = (bytes, rng) => {
  const hit = pickElement(bytes, ANY_TAGS, rng);
  if (!hit || hit.el.vrAt === null) return null;
  const out = bytes.slice();
  const vr = rng.pick(VRS);
  out[hit.el.vrAt] = vr.charCodeAt(0);
  out[hit.el.vrAt + 1] = vr.charCodeAt(1);
  return { bytes: out, what: `${tagName(hit.tag)} VR → ${JSON.stringify(vr)}` };
};

const transferSyntax: DicomMutation = (bytes, rng) => {
  const el = locate(bytes, T.transferSyntax)[0];
  if (!el) return null;
  const uid = rng.pick(UIDS);
  return { bytes: replaceValue(bytes, el, Buffer.from(uid, 'latin1')), what: `transfer syntax → "${uid}"` };
};

const stringValue: DicomMutation = (bytes, rng) => {
  const [tag, values] = rng.pick(STRING_VALUES);
  const el = locate(bytes, tag)[0];
  if (!el) return null;
  const value = rng.pick(values);
  return { bytes: replaceValue(bytes, el, Buffer.from(value, 'latin1')), what: `${tagName(tag)} → "${value}"` };
};

/** Encapsulated pixel data: an item (fragment or offset table) with a wrong length, or a missing delimiter. */
const fragment: DicomMutation = (bytes, rng) => {
  const items = locate(bytes, T.item).filter((el) => el.littleEndian);
  if (items.length === 0) return null;
  const el = rng.pick(items);
  if (rng.chance(0.3)) return { bytes: splice(bytes, el.tagAt, 8), what: `drop an item header at ${el.tagAt}` };
  const out = bytes.slice();
  const value = rng.pick([0, 1, 2, 3, 4, 5, 0xffffffff, 0x7fffffff, el.length + 1, el.length - 1, el.length * 2]);
  writeLength(out, el, value);
  return { bytes: out, what: `item at ${el.tagAt} length ${el.length} → ${value >>> 0}` };
};

const dropElement: DicomMutation = (bytes, rng) => {
  const hit = pickElement(bytes, [...US_TAGS, T.transferSyntax, T.photometric, T.pixelData, T.sequenceEnd], rng);
  if (!hit) return null;
  const end = Math.min(bytes.length, hit.el.valueAt + (hit.el.length === 0xffffffff ? 0 : hit.el.length));
  return { bytes: splice(bytes, hit.el.tagAt, end - hit.el.tagAt), what: `drop ${tagName(hit.tag)}` };
};

const DICOM_MUTATIONS: readonly DicomMutation[] = [
  usValue,
  usValue,
  lengthField,
  vrSwap,
  transferSyntax,
  stringValue,
  fragment,
  dropElement,
];

/** One DICOM-aware mutation, or null when the file has none of the elements the picked one needs. */
export function mutateDicom(bytes: Uint8Array, rng: Random): Mutated | null {
  return rng.pick(DICOM_MUTATIONS)(bytes, rng);
}
