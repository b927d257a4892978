/**
 * The common small PNG read without sharp: up to 512² pixels, 8- or 16-bit grey, grey + alpha, RGB
 * or RGBA, not interlaced, no palette, no transparency chunk, no embedded colour profile, every
 * chunk's CRC right. Such a file decodes to what raster.ts's sharp pipeline gives (alpha dropped,
 * 16-bit kept), checked against sharp on every layout in png.test.ts; anything else, and anything
 * odd, is left to sharp.
 *
 * Why: a batch run over small PNGs spent most of its decode CPU around the pixels rather than on
 * them (libvips' pipeline, its threads and the promise hand-offs, for a 64² image); zlib's inflate
 * and the scanline filters, in the decode worker's own thread, are a fraction of that.
 */
import zlib from 'node:zlib';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The largest image read here. Per image, png.ts took 0.05 ms against sharp's 0.6 at 64², 0.3
 * against 1.1 at 256² grey, 2.0 against 2.5 at 512² RGB; at 2048² sharp's own inflate and filters
 * (zlib-ng and libpng's vector code) were faster: 19 against 11 ms grey, 90 against 57 RGB 16-bit.
 */
export const SIMPLE_PNG_MAX_PIXELS = 512 * 512;

/** Channels of each colour type read here (0 grey, 2 RGB, 4 grey + alpha, 6 RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Where a simple PNG's pixels are, and how they are laid out. */
export interface SimplePng {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  /** Channels stored, alpha included. */
  channels: number;
  hasAlpha: boolean;
  /** pHYs in pixels per metre, when the file gives it in metres. */
  pixelsPerMetre: number | null;
  /** The IDAT chunks' data, in order. */
  idat: Uint8Array[];
}

const readUint32 = (bytes: Uint8Array, at: number): number =>
  ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;

/** The layout of a PNG this module reads; null for any other PNG (sharp reads it, or says what is wrong). */
export function simplePng(bytes: Uint8Array): SimplePng | null {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  let header: Omit<SimplePng, 'idat' | 'pixelsPerMetre'> | null = null;
  let pixelsPerMetre: number | null = null;
  const idat: Uint8Array[] = [];
  let idatEnded = false;
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) return null; // No IEND: truncated.
    const length = readUint32(bytes, at);
    if (length > bytes.length - at - 12) return null;
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (zlib.crc32(bytes.subarray(at + 4, at + 8 + length)) !== readUint32(bytes, at + 8 + length)) return null;
    at += 12 + length;
    // A chunk type is four ASCII letters, the third upper case (PNG §5.4); libpng refuses others.
    if (!/^[A-Za-z]{2}[A-Z][A-Za-z]$/.test(type)) return null;
    if (type !== 'IDAT' && idat.length > 0) idatEnded = true;
    if (type === 'IHDR') {
      if (header || length !== 13) return null;
      const [bitDepth, colourType, compression, filter, interlace] = data.subarray(8);
      const channels = CHANNELS[colourType!];
      if ((bitDepth !== 8 && bitDepth !== 16) || !channels || compression !== 0 || filter !== 0 || interlace !== 0)
        return null;
      const width = readUint32(data, 0);
      const height = readUint32(data, 4);
      if (width === 0 || height === 0 || width * height > SIMPLE_PNG_MAX_PIXELS) return null;
      header = { width, height, bitDepth, channels, hasAlpha: colourType === 4 || colourType === 6 };
    } else if (!header) {
      return null; // IHDR must come first.
    } else if (type === 'IDAT') {
      if (idatEnded) return null; // IDAT chunks must be consecutive.
      idat.push(data);
    } else if (type === 'IEND') {
      return idat.length > 0 ? { ...header, pixelsPerMetre, idat } : null;
    } else if (type === 'pHYs') {
      // Out of place (after the pixels) or twice: libpng ignores it; left to sharp as well.
      if (length !== 9 || idat.length > 0 || pixelsPerMetre !== null) return null;
      // In unknown units it gives only the pixels' aspect; left to sharp, which reads it its own way.
      if (data[8] !== 1) return null;
      pixelsPerMetre = readUint32(data, 0);
    } else if (type === 'PLTE' || type === 'tRNS' || type === 'iCCP' || !/^[a-z]/.test(type)) {
      // A palette, transparency or colour profile changes what sharp outputs; an unknown critical
      // chunk (upper-case first letter) is an error sharp reports.
      return null;
    }
    // Other ancillary chunks (text, time, gamma, …) do not change the pixels sharp gives.
  }
}

/** The Paeth predictor of the PNG specification (§9.4). */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Reverses one scanline's filter in place (PNG §9.2): `line` its bytes, `above` the line before
 * (zeros for the first), `step` the bytes of a pixel. False for a filter type PNG does not have.
 */
function unfilter(filter: number, line: Uint8Array, above: Uint8Array, step: number): boolean {
  const n = line.length;
  switch (filter) {
    case 0:
      return true;
    case 1:
      for (let i = step; i < n; i++) line[i] = (line[i]! + line[i - step]!) & 0xff;
      return true;
    case 2:
      for (let i = 0; i < n; i++) line[i] = (line[i]! + above[i]!) & 0xff;
      return true;
    case 3:
      for (let i = 0; i < step; i++) line[i] = (line[i]! + (above[i]! >> 1)) & 0xff;
      for (let i = step; i < n; i++) line[i] = (line[i]! + ((line[i - step]! + above[i]!) >> 1)) & 0xff;
      return true;
    case 4:
      for (let i = 0; i < step; i++) line[i] = (line[i]! + above[i]!) & 0xff;
      for (let i = step; i < n; i++) line[i] = (line[i]! + paeth(line[i - step]!, above[i]!, above[i - step]!)) & 0xff;
      return true;
    default:
      return false;
  }
}

/**
 * The pixels of `png`: 8-bit samples as Uint8Array, 16-bit ones as Uint16Array, alpha dropped;
 * null when the compressed data does not inflate to exactly the image, or a line has no valid
 * filter (sharp then reports it).
 */
export function decodeSimplePng(png: SimplePng): Uint8Array | Uint16Array | null {
  const { width, height, channels, bitDepth, hasAlpha } = png;
  const step = (channels * bitDepth) / 8; // Bytes a pixel: the filters' left neighbour.
  const rowBytes = width * step;
  const expected = height * (rowBytes + 1);
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(png.idat.length === 1 ? png.idat[0]! : Buffer.concat(png.idat), {
      maxOutputLength: expected + 1,
    });
  } catch {
    return null;
  }
  if (raw.length !== expected) return null;
  let above: Uint8Array = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const start = y * (rowBytes + 1) + 1;
    const line = raw.subarray(start, start + rowBytes);
    if (!unfilter(raw[start - 1]!, line, above, step)) return null;
    above = line;
  }
  const kept = hasAlpha ? channels - 1 : channels;
  const pixels = width * height;
  if (bitDepth === 8) {
    const out = new Uint8Array(pixels * kept);
    for (let y = 0; y < height; y++) {
      const start = y * (rowBytes + 1) + 1;
      if (!hasAlpha) out.set(raw.subarray(start, start + rowBytes), y * rowBytes);
      else
        for (let x = 0, o = y * width * kept, at = start; x < width; x++, at += channels)
          for (let c = 0; c < kept; c++) out[o++] = raw[at + c]!;
    }
    return out;
  }
  // 16-bit samples are big-endian in the file.
  const out = new Uint16Array(pixels * kept);
  for (let y = 0; y < height; y++)
    for (let x = 0, o = y * width * kept, at = y * (rowBytes + 1) + 1; x < width; x++, at += step)
      for (let c = 0; c < kept; c++) out[o++] = (raw[at + 2 * c]! << 8) | raw[at + 2 * c + 1]!;
  return out;
}
