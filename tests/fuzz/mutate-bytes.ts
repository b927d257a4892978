/**
 * Format-blind mutations: the damage a disk, a network copy or a careless tool does to any file.
 * Each mutation returns the new bytes and a short description that goes into a finding's report.
 */
import type { Random } from './random';

export interface Mutated {
  bytes: Uint8Array;
  /** What was done, e.g. "flip bit 3 at 1204". */
  what: string;
}

export type ByteMutation = (bytes: Uint8Array, rng: Random) => Mutated;

/** Values that sit on the edges of 8-, 16- and 32-bit fields, where length arithmetic breaks. */
export const EDGE_VALUES_32 = [
  0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe,
  0xffffffff,
];

/** Removes `remove` bytes at `at` and puts `insert` there; both clamped to the file (lengths read from it may lie). */
export function splice(
  bytes: Uint8Array,
  start: number,
  count: number,
  insert: Uint8Array = new Uint8Array(),
): Uint8Array {
  const at = Math.max(0, Math.min(start, bytes.length));
  const remove = Math.max(0, Math.min(count, bytes.length - at));
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

const flipBit: ByteMutation = (bytes, rng) => {
  const out = bytes.slice();
  const at = rng.int(out.length);
  const bit = rng.int(8);
  out[at]! ^= 1 << bit;
  return { bytes: out, what: `flip bit ${bit} at ${at}` };
};

const setByte: ByteMutation = (bytes, rng) => {
  const out = bytes.slice();
  const at = rng.int(out.length);
  out[at] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
  return { bytes: out, what: `set byte ${at} to ${out[at]}` };
};

const insertBytes: ByteMutation = (bytes, rng) => {
  const at = rng.int(bytes.length + 1);
  const junk = rng.bytes(rng.between(1, 32));
  return { bytes: splice(bytes, at, 0, junk), what: `insert ${junk.length} bytes at ${at}` };
};

const deleteBytes: ByteMutation = (bytes, rng) => {
  const at = rng.int(bytes.length);
  const length = Math.min(bytes.length - at, rng.between(1, 64));
  return { bytes: splice(bytes, at, length), what: `delete ${length} bytes at ${at}` };
};

const truncate: ByteMutation = (bytes, rng) => {
  const at = rng.int(bytes.length);
  return { bytes: bytes.slice(0, at), what: `truncate to ${at} bytes` };
};

const duplicateRange: ByteMutation = (bytes, rng) => {
  const at = rng.int(bytes.length);
  const length = Math.min(bytes.length - at, rng.between(1, 256));
  const to = rng.int(bytes.length + 1);
  return {
    bytes: splice(bytes, to, 0, bytes.slice(at, at + length)),
    what: `copy ${length} bytes from ${at} to ${to}`,
  };
};

const edgeWord: ByteMutation = (bytes, rng) => {
  const out = bytes.slice();
  const at = rng.int(Math.max(1, out.length - 3));
  const value = rng.pick(EDGE_VALUES_32);
  const littleEndian = rng.chance(0.5);
  const view = new DataView(out.buffer);
  if (rng.chance(0.5) && at + 4 <= out.length) view.setUint32(at, value, littleEndian);
  else if (at + 2 <= out.length) view.setUint16(at, value & 0xffff, littleEndian);
  return { bytes: out, what: `write ${value} (${littleEndian ? 'LE' : 'BE'}) at ${at}` };
};

const zeroRange: ByteMutation = (bytes, rng) => {
  const out = bytes.slice();
  const at = rng.int(out.length);
  const length = rng.between(1, 512);
  out.fill(0, at, at + length);
  return { bytes: out, what: `zero ${length} bytes at ${at}` };
};

export const BYTE_MUTATIONS: readonly ByteMutation[] = [
  flipBit,
  setByte,
  insertBytes,
  deleteBytes,
  truncate,
  duplicateRange,
  edgeWord,
  zeroRange,
];

export function mutateBytes(bytes: Uint8Array, rng: Random): Mutated {
  if (bytes.length === 0) return { bytes: rng.bytes(rng.between(1, 16)), what: 'fill an empty file with junk' };
  return rng.pick(BYTE_MUTATIONS)(bytes, rng);
}
