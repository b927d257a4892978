/**
 * TIFF-aware mutations (TIFF 6.0, section 2): the IFD's entries (tag values, field types and
 * counts of the tags a decoder trusts), the IFD offset and the next-IFD link (pointing back to
 * itself makes a cycle), and the entry count.
 */
import { EDGE_VALUES_32, type Mutated } from './mutate-bytes';
import type { Random } from './random';

interface Ifd {
  at: number;
  count: number;
  littleEndian: boolean;
}

const ENTRY_BYTES = 12;

/** Tags decoders trust, with values that stress them. */
const TAG_VALUES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [0, 1, 65535, 0x7fffffff, 0xffffffff, 20000]], // ImageWidth
  [257, [0, 1, 65535, 0x7fffffff, 0xffffffff, 20000]], // ImageLength
  [258, [0, 1, 2, 4, 7, 12, 24, 32, 64, 65535]], // BitsPerSample
  [259, [0, 1, 2, 5, 6, 7, 8, 32773, 34712, 50000, 65535]], // Compression
  [262, [0, 1, 2, 3, 4, 5, 6, 8, 32844, 65535]], // PhotometricInterpretation
  [273, [0, 1, 8, 0x7fffffff, 0xffffffff]], // StripOffsets
  [277, [0, 1, 2, 3, 4, 5, 255, 65535]], // SamplesPerPixel
  [278, [0, 1, 0xffffffff]], // RowsPerStrip
  [279, [0, 1, 0x7fffffff, 0xffffffff]], // StripByteCounts
  [284, [0, 1, 2, 3]], // PlanarConfiguration
  [317, [0, 1, 2, 3, 4]], // Predictor
  [320, [0, 1, 0xffff]], // ColorMap
  [322, [0, 1, 15, 0xffffffff]], // TileWidth
  [323, [0, 1, 0xffffffff]], // TileLength
  [338, [0, 1, 2, 5]], // ExtraSamples
  [339, [0, 1, 2, 3, 4, 5, 6]], // SampleFormat
]);

function firstIfd(bytes: Uint8Array): Ifd | null {
  if (bytes.length < 8) return null;
  const littleEndian = bytes[0] === 0x49;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = view.getUint32(4, littleEndian);
  if (at + 2 > bytes.length) return null;
  return { at, count: view.getUint16(at, littleEndian), littleEndian };
}

type TiffMutation = (bytes: Uint8Array, view: DataView, ifd: Ifd, rng: Random) => string | null;

function entryAt(ifd: Ifd, bytes: Uint8Array, k: number): number | null {
  const at = ifd.at + 2 + k * ENTRY_BYTES;
  return at + ENTRY_BYTES <= bytes.length ? at : null;
}

/** A trusted tag's value set to an edge (SHORT or LONG as the entry's type says). */
const tagValue: TiffMutation = (bytes, view, ifd, rng) => {
  const entries = Array.from({ length: ifd.count }, (_, k) => entryAt(ifd, bytes, k)).filter(
    (at): at is number => at !== null && TAG_VALUES.has(view.getUint16(at, ifd.littleEndian)),
  );
  if (entries.length === 0) return null;
  const at = rng.pick(entries);
  const tag = view.getUint16(at, ifd.littleEndian);
  const type = view.getUint16(at + 2, ifd.littleEndian);
  const value = rng.pick(TAG_VALUES.get(tag)!);
  if (type === 3) view.setUint16(at + 8, value & 0xffff, ifd.littleEndian);
  else view.setUint32(at + 8, value >>> 0, ifd.littleEndian);
  return `tag ${tag} → ${value}`;
};

const entryType: TiffMutation = (bytes, view, ifd, rng) => {
  const at = entryAt(ifd, bytes, rng.int(Math.max(1, ifd.count)));
  if (at === null) return null;
  const type = rng.pick([0, 1, 2, 3, 4, 5, 7, 11, 12, 13, 16, 99]);
  view.setUint16(at + 2, type, ifd.littleEndian);
  return `entry ${view.getUint16(at, ifd.littleEndian)} type → ${type}`;
};

const entryCount: TiffMutation = (bytes, view, ifd, rng) => {
  const at = entryAt(ifd, bytes, rng.int(Math.max(1, ifd.count)));
  if (at === null) return null;
  const count = rng.pick([0, 2, 3, 0xffff, 0x10000000, 0xffffffff]);
  view.setUint32(at + 4, count >>> 0, ifd.littleEndian);
  return `entry ${view.getUint16(at, ifd.littleEndian)} count → ${count}`;
};

const ifdCount: TiffMutation = (bytes, view, ifd, rng) => {
  const count = rng.pick([0, 1, ifd.count + 1, 0xffff]);
  view.setUint16(ifd.at, count, ifd.littleEndian);
  return `IFD entry count ${ifd.count} → ${count}`;
};

const ifdLinks: TiffMutation = (bytes, view, ifd, rng) => {
  const next = ifd.at + 2 + ifd.count * ENTRY_BYTES;
  if (rng.chance(0.5) && next + 4 <= bytes.length) {
    const target = rng.pick([ifd.at, 8, 0xffffffff, bytes.length - 2]);
    view.setUint32(next, target >>> 0, ifd.littleEndian);
    return `next IFD → ${target}`;
  }
  const target = rng.pick([...EDGE_VALUES_32, bytes.length, ifd.at + 1]);
  view.setUint32(4, target >>> 0, ifd.littleEndian);
  return `first IFD offset → ${target >>> 0}`;
};

const byteOrder: TiffMutation = (bytes, _view, ifd) => {
  const mark = ifd.littleEndian ? 0x4d : 0x49;
  bytes[0] = mark;
  bytes[1] = mark;
  return `byte order → ${String.fromCharCode(mark, mark)}`;
};

const TIFF_MUTATIONS: readonly TiffMutation[] = [
  tagValue,
  tagValue,
  tagValue,
  entryType,
  entryCount,
  ifdCount,
  ifdLinks,
  byteOrder,
];

export function mutateTiff(bytes: Uint8Array, rng: Random): Mutated | null {
  const ifd = firstIfd(bytes);
  if (!ifd) return null;
  const out = bytes.slice();
  const what = rng.pick(TIFF_MUTATIONS)(out, new DataView(out.buffer), ifd, rng);
  return what === null ? null : { bytes: out, what };
}
