/**
 * PNG-aware mutations (PNG spec, 5.3 chunk layout): header fields, chunk lengths, chunk order
 * and chunk data, with the CRC recomputed so the damage reaches the decoder instead of stopping
 * at the checksum (one mutation breaks the CRC on purpose).
 */
import { crc32 } from 'node:zlib';
import { splice, type Mutated } from './mutate-bytes';
import type { Random } from './random';

const SIGNATURE_BYTES = 8;

interface Chunk {
  at: number;
  length: number;
  type: string;
}

function chunks(bytes: Uint8Array): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Chunk[] = [];
  for (let at = SIGNATURE_BYTES; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = Buffer.from(bytes.subarray(at + 4, at + 8)).toString('latin1');
    out.push({ at, length, type });
    if (at + 12 + length > bytes.length) break;
    at += 12 + length;
  }
  return out;
}

function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 12);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(data.length + 8, crc32(out.subarray(4, data.length + 8)));
  return out;
}

const dataOf = (bytes: Uint8Array, c: Chunk): Uint8Array => bytes.slice(c.at + 8, c.at + 8 + c.length);
const whole = (c: Chunk): number => c.length + 12;

/** Rewrites one chunk's data (CRC recomputed). */
function rewrite(bytes: Uint8Array, c: Chunk, data: Uint8Array, type = c.type): Uint8Array {
  return splice(bytes, c.at, Math.min(whole(c), bytes.length - c.at), makeChunk(type, data));
}

type PngMutation = (bytes: Uint8Array, list: Chunk[], rng: Random) => Mutated | null;

const IHDR_FIELDS: readonly [name: string, at: number, size: 1 | 4, values: readonly number[]][] = [
  ['width', 0, 4, [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 20000, 100000]],
  ['height', 4, 4, [0, 1, 0x7fffffff, 0xffffffff, 20000, 100000]],
  ['bit depth', 8, 1, [0, 1, 2, 3, 4, 5, 8, 16, 32, 255]],
  ['colour type', 9, 1, [0, 1, 2, 3, 4, 5, 6, 7, 255]],
  ['compression', 10, 1, [1, 255]],
  ['filter', 11, 1, [1, 255]],
  ['interlace', 12, 1, [1, 2, 255]],
];

const header: PngMutation = (bytes, list, rng) => {
  const ihdr = list.find((c) => c.type === 'IHDR');
  if (!ihdr || ihdr.length < 13) return null;
  const data = dataOf(bytes, ihdr);
  if (data.length < 13) return null;
  const [name, at, size, values] = rng.pick(IHDR_FIELDS);
  const value = rng.pick(values);
  if (size === 4) new DataView(data.buffer).setUint32(at, value >>> 0);
  else data[at] = value;
  return { bytes: rewrite(bytes, ihdr, data), what: `IHDR ${name} → ${value}` };
};

const chunkLength: PngMutation = (bytes, list, rng) => {
  const c = rng.pick(list);
  const out = bytes.slice();
  const value = rng.pick([0, 1, c.length + 1, c.length - 1, 0x7fffffff, 0x80000000, 0xffffffff, bytes.length]);
  new DataView(out.buffer).setUint32(c.at, value >>> 0);
  return { bytes: out, what: `${c.type} length ${c.length} → ${value >>> 0}` };
};

const dropChunk: PngMutation = (bytes, list, rng) => {
  const c = rng.pick(list);
  return { bytes: splice(bytes, c.at, Math.min(whole(c), bytes.length - c.at)), what: `drop ${c.type}` };
};

const duplicateChunk: PngMutation = (bytes, list, rng) => {
  const c = rng.pick(list);
  const copy = bytes.slice(c.at, c.at + whole(c));
  const to = rng.pick(list).at;
  return { bytes: splice(bytes, to, 0, copy), what: `copy ${c.type} before the chunk at ${to}` };
};

/** Damage inside IDAT (the zlib stream) or another chunk's data, CRC kept valid. */
const chunkData: PngMutation = (bytes, list, rng) => {
  const c = rng.maybe(list.filter((k) => k.length > 0).concat(list.filter((k) => k.type === 'IDAT')));
  if (!c) return null;
  const data = dataOf(bytes, c);
  if (data.length === 0) return null;
  const at = rng.int(data.length);
  if (rng.chance(0.3))
    return { bytes: rewrite(bytes, c, data.slice(0, at)), what: `cut ${c.type} data to ${at} bytes` };
  data[at] = rng.int(256);
  return { bytes: rewrite(bytes, c, data), what: `${c.type} data byte ${at} → ${data[at]}` };
};

const EXTRA_CHUNKS: readonly [string, (rng: Random) => Uint8Array][] = [
  ['PLTE', (rng) => rng.bytes(rng.pick([0, 3, 4, 768, 771]))],
  ['tRNS', (rng) => rng.bytes(rng.pick([0, 1, 2, 6, 300]))],
  ['sBIT', (rng) => rng.bytes(rng.pick([1, 3, 4]))],
  ['gAMA', (rng) => rng.bytes(4)],
  ['iCCP', (rng) => Uint8Array.from([...Buffer.from('icc\0\0', 'latin1'), ...rng.bytes(40)])],
  ['abCD', (rng) => rng.bytes(8)],
  ['IDAT', (rng) => rng.bytes(rng.between(0, 64))],
  ['IEND', () => new Uint8Array()],
];

const insertChunk: PngMutation = (bytes, list, rng) => {
  const [type, data] = rng.pick(EXTRA_CHUNKS);
  const to = rng.pick(list).at;
  return { bytes: splice(bytes, to, 0, makeChunk(type, data(rng))), what: `insert ${type} at ${to}` };
};

const breakCrc: PngMutation = (bytes, list, rng) => {
  const c = rng.pick(list);
  const at = c.at + 8 + c.length;
  if (at + 4 > bytes.length) return null;
  const out = bytes.slice();
  out[at]! ^= 0xff;
  return { bytes: out, what: `break the CRC of ${c.type}` };
};

const PNG_MUTATIONS: readonly PngMutation[] = [
  header,
  header,
  chunkLength,
  dropChunk,
  duplicateChunk,
  chunkData,
  chunkData,
  insertChunk,
  breakCrc,
];

export function mutatePng(bytes: Uint8Array, rng: Random): Mutated | null {
  const list = chunks(bytes);
  if (list.length === 0) return null;
  return rng.pick(PNG_MUTATIONS)(bytes, list, rng);
}
