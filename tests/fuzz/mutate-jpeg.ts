/**
 * JPEG-aware mutations (ITU T.81 B.1): the frame header (precision, size, components, sampling),
 * marker segment lengths, missing, repeated or foreign segments, the coding process (SOF type),
 * restart intervals and the entropy-coded data after SOS. Also serves the JPEG codestreams
 * inside DICOM files, found by their SOI marker.
 */
import { splice, type Mutated } from './mutate-bytes';
import type { Random } from './random';

interface Segment {
  at: number;
  marker: number;
  /** Whole segment including the marker; for SOS, up to the end of the scan data. */
  size: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const SOF_MARKERS = [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc7, 0xc9, 0xcb, 0xcf, 0xf7];

function segments(bytes: Uint8Array, start: number): Segment[] {
  const out: Segment[] = [];
  let at = start + 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff && out.length < 64) {
    const marker = bytes[at + 1]!;
    if (marker === EOI) {
      out.push({ at, marker, size: 2 });
      break;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    let size = 2 + length;
    if (marker === SOS) {
      // The scan runs to the next marker that is not a stuffed 0xFF00 or a restart marker.
      let end = at + size;
      while (
        end + 1 < bytes.length &&
        !(bytes[end] === 0xff && bytes[end + 1] !== 0 && (bytes[end + 1]! & 0xf8) !== 0xd0)
      )
        end++;
      size = end - at;
    }
    out.push({ at, marker, size });
    at += size;
  }
  return out;
}

type JpegMutation = (bytes: Uint8Array, list: Segment[], rng: Random) => Mutated | null;

const hex = (m: number): string => `FF${m.toString(16).toUpperCase()}`;

/** SOFn: P(1) Y(2) X(2) Nf(1), then Nf × (C, H<<4|V, Tq). */
const frameHeader: JpegMutation = (bytes, list, rng) => {
  const sof = list.find((s) => SOF_MARKERS.includes(s.marker));
  if (!sof || sof.at + 10 > bytes.length) return null;
  const out = bytes.slice();
  const field = rng.int(5);
  const view = new DataView(out.buffer);
  const p = sof.at + 4;
  if (field === 0) out[p] = rng.pick([0, 1, 2, 7, 8, 12, 16, 17, 255]);
  else if (field === 1) view.setUint16(p + 1, rng.pick([0, 1, 0xffff, 20000]));
  else if (field === 2) view.setUint16(p + 3, rng.pick([0, 1, 0xffff, 20000]));
  else if (field === 3) out[p + 5] = rng.pick([0, 2, 4, 5, 255]);
  else if (p + 7 < out.length) out[p + 7] = rng.pick([0x00, 0x05, 0x50, 0x44, 0x11, 0xff]);
  return {
    bytes: out,
    what: `${hex(sof.marker)} field ${['precision', 'height', 'width', 'components', 'sampling'][field]} changed`,
  };
};

const sofType: JpegMutation = (bytes, list, rng) => {
  const sof = list.find((s) => SOF_MARKERS.includes(s.marker));
  if (!sof) return null;
  const out = bytes.slice();
  const marker = rng.pick(SOF_MARKERS);
  out[sof.at + 1] = marker;
  return { bytes: out, what: `${hex(sof.marker)} → ${hex(marker)}` };
};

const segmentLength: JpegMutation = (bytes, list, rng) => {
  const s = rng.maybe(list.filter((k) => k.size > 2));
  if (!s) return null;
  const out = bytes.slice();
  const old = (out[s.at + 2]! << 8) | out[s.at + 3]!;
  const value = rng.pick([0, 1, 2, 3, old - 1, old + 1, 0xffff]) & 0xffff;
  new DataView(out.buffer).setUint16(s.at + 2, value);
  return { bytes: out, what: `${hex(s.marker)} length ${old} → ${value}` };
};

const dropSegment: JpegMutation = (bytes, list, rng) => {
  const s = rng.pick(list);
  return { bytes: splice(bytes, s.at, s.size), what: `drop ${hex(s.marker)}` };
};

const repeatSegment: JpegMutation = (bytes, list, rng) => {
  const s = rng.maybe(list.filter((k) => k.marker !== SOS)) ?? list[0]!;
  return { bytes: splice(bytes, s.at, 0, bytes.slice(s.at, s.at + s.size)), what: `repeat ${hex(s.marker)}` };
};

const FOREIGN: readonly [string, number[]][] = [
  ['DRI 0', [0xff, 0xdd, 0, 4, 0, 0]],
  ['DRI 1', [0xff, 0xdd, 0, 4, 0, 1]],
  ['DQT empty', [0xff, 0xdb, 0, 2]],
  ['DHT empty', [0xff, 0xc4, 0, 2]],
  ['DHT bad class', [0xff, 0xc4, 0, 19, 0x7f, ...new Array<number>(16).fill(1)]],
  ['DNL', [0xff, 0xdc, 0, 4, 0, 0]],
  ['SOI', [0xff, SOI]],
  ['EOI', [0xff, EOI]],
  ['APP14 Adobe', [0xff, 0xee, 0, 14, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 2]],
];

const insertSegment: JpegMutation = (bytes, list, rng) => {
  const [name, content] = rng.pick(FOREIGN);
  const to = rng.pick(list).at;
  return { bytes: splice(bytes, to, 0, Uint8Array.from(content)), what: `insert ${name} at ${to}` };
};

/** Damage inside the scan: a byte, a restart marker, or a marker that ends it early. */
const scanData: JpegMutation = (bytes, list, rng) => {
  const scan = list.find((s) => s.marker === SOS);
  if (!scan || scan.size < 16) return null;
  const at = scan.at + rng.between(8, scan.size - 1);
  const choice = rng.int(3);
  if (choice === 0) {
    const out = bytes.slice();
    out[at] = rng.int(256);
    return { bytes: out, what: `scan byte ${at} → ${out[at]}` };
  }
  const marker = choice === 1 ? 0xd0 + rng.int(8) : rng.pick([EOI, 0xc4, 0xda, 0x01]);
  return {
    bytes: splice(bytes, at, 0, Uint8Array.from([0xff, marker])),
    what: `insert ${hex(marker)} in the scan at ${at}`,
  };
};

const JPEG_MUTATIONS: readonly JpegMutation[] = [
  frameHeader,
  frameHeader,
  sofType,
  segmentLength,
  dropSegment,
  repeatSegment,
  insertSegment,
  scanData,
  scanData,
];

/** Finds a JPEG codestream (SOI followed by a marker) and mutates it; null when there is none. */
export function mutateJpeg(bytes: Uint8Array, rng: Random): Mutated | null {
  const starts: number[] = [];
  for (let at = 0; at + 3 < bytes.length && starts.length < 16; at++)
    if (bytes[at] === 0xff && bytes[at + 1] === SOI && bytes[at + 2] === 0xff) starts.push(at);
  if (starts.length === 0) return null;
  const list = segments(bytes, rng.pick(starts));
  if (list.length === 0) return null;
  return rng.pick(JPEG_MUTATIONS)(bytes, list, rng);
}
