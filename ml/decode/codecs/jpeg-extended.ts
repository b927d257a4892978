/**
 * JPEG extended sequential (process 2 & 4, DICOM 1.2.840.10008.1.2.4.51). 8-bit frames go to
 * libjpeg-turbo; 12-bit frames, which no maintained WASM codec decodes, are decoded here: a
 * Huffman sequential DCT decoder after ITU T.81 (Annex F), greyscale, with an exact floating-point
 * IDCT. Against DCMTK's integer IDCT that differs by at most one grey level, the tolerance the
 * issue allows for lossy syntaxes.
 */
import { DecodeError } from '../errors';
import { expectSize, readJpegFrameHeader } from './headers';
import { BitReader, buildHuffman, extend, type HuffmanTable } from './jpeg-huffman';
import type { FrameCodec } from './types';
import { decodeJpegBaseline } from './wasm-codecs';

const SOF0 = 0xc0;
const SOF1 = 0xc1;

/** Zig-zag order of the 64 coefficients (ITU T.81 Figure A.6). */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
]);

/** cos((2x+1)uπ/16) · C(u)/2, the separable IDCT basis (ITU T.81 A.3.3). */
const IDCT_BASIS = (() => {
  const table = new Float64Array(64);
  for (let x = 0; x < 8; x++) {
    for (let u = 0; u < 8; u++)
      table[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) * Math.cos(((2 * x + 1) * u * Math.PI) / 16)) / 2;
  }
  return table;
})();

export const decodeJpegExtended: FrameCodec = async (encoded, geometry) => {
  const header = readJpegFrameHeader(encoded);
  expectSize(header, geometry.rows, geometry.columns, geometry.samplesPerPixel, geometry.bitsAllocated);
  if (header.precision === 8) return decodeJpegBaseline(encoded, geometry);
  if (header.marker !== SOF0 && header.marker !== SOF1) {
    throw new DecodeError(
      'unsupported',
      'This JPEG uses progressive or arithmetic coding, which the extended-sequential transfer syntax does not allow.',
    );
  }
  if (header.components !== 1)
    throw new DecodeError('unsupported', 'Colour 12-bit JPEG is not supported; only greyscale.');
  return {
    samples: decodeGreySequential(encoded, header.precision, geometry.rows, geometry.columns),
    layout: 'interleaved',
    rgb: false,
  };
};

function decodeGreySequential(data: Uint8Array, precision: number, rows: number, columns: number): Uint16Array {
  const quant = new Map<number, Int32Array>();
  const dcTables = new Map<number, HuffmanTable>();
  const acTables = new Map<number, HuffmanTable>();
  let quantId = 0;
  let restartInterval = 0;
  const out = new Uint16Array(rows * columns);
  let decodedScan = false;
  let at = 2;
  const segmentEnd = (start: number): number => {
    const length = ((data[start] ?? 0) << 8) | (data[start + 1] ?? 0);
    if (length < 2 || start + length > data.length)
      throw new DecodeError('corrupt-pixels', 'A JPEG marker segment runs past the end of the frame.');
    return start + length;
  };
  while (at + 1 < data.length) {
    if (data[at] !== 0xff) {
      at += 1;
      continue;
    }
    const marker = data[at + 1]!;
    at += 2;
    if (marker === 0xd9) break;
    if (marker === 0xff || marker === 0x00 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      if (marker === 0xff) at -= 1;
      continue;
    }
    const end = segmentEnd(at);
    let p = at + 2;
    if (marker === 0xdb) {
      while (p < end) {
        const wide = data[p]! >> 4;
        const id = data[p]! & 15;
        p += 1;
        const table = new Int32Array(64);
        for (let i = 0; i < 64; i++) {
          table[ZIGZAG[i]!] = wide ? (data[p]! << 8) | data[p + 1]! : data[p]!;
          p += wide ? 2 : 1;
        }
        quant.set(id, table);
      }
    } else if (marker === 0xc4) {
      while (p + 17 <= end) {
        const tableClass = data[p]! >> 4;
        const id = data[p]! & 15;
        const counts = data.subarray(p + 1, p + 17);
        const total = counts.reduce((sum, n) => sum + n, 0);
        if (p + 17 + total > end)
          throw new DecodeError('corrupt-pixels', 'A JPEG Huffman table runs past its segment.');
        const table = buildHuffman(counts, data.slice(p + 17, p + 17 + total));
        (tableClass === 0 ? dcTables : acTables).set(id, table);
        p += 17 + total;
      }
    } else if (marker === SOF0 || marker === SOF1) {
      quantId = data[at + 10]!;
    } else if (marker === 0xdd) {
      restartInterval = (data[p]! << 8) | data[p + 1]!;
    } else if (marker === 0xda) {
      const td = data[p + 2]! >> 4;
      const ta = data[p + 2]! & 15;
      const dc = dcTables.get(td);
      const ac = acTables.get(ta);
      const q = quant.get(quantId);
      if (!dc || !ac || !q)
        throw new DecodeError('corrupt-pixels', 'The JPEG scan refers to a table the frame does not define.');
      const reader = new BitReader(data, end);
      decodeScan(reader, dc, ac, q, restartInterval, precision, rows, columns, out);
      decodedScan = true;
      at = reader.position;
      continue;
    }
    at = end;
  }
  if (!decodedScan) throw new DecodeError('corrupt-pixels', 'The JPEG frame has no image data (no scan).');
  return out;
}

function decodeScan(
  reader: BitReader,
  dc: HuffmanTable,
  ac: HuffmanTable,
  quant: Int32Array,
  restartInterval: number,
  precision: number,
  rows: number,
  columns: number,
  out: Uint16Array,
): void {
  const blocksPerLine = Math.ceil(columns / 8);
  const blocksPerColumn = Math.ceil(rows / 8);
  const coefficients = new Float64Array(64);
  const temp = new Float64Array(64);
  const levelShift = 1 << (precision - 1);
  const maxValue = (1 << precision) - 1;
  let predictor = 0;
  let blockIndex = 0;
  for (let by = 0; by < blocksPerColumn; by++) {
    for (let bx = 0; bx < blocksPerLine; bx++) {
      if (restartInterval > 0 && blockIndex > 0 && blockIndex % restartInterval === 0) {
        reader.restart();
        predictor = 0;
      }
      blockIndex += 1;
      coefficients.fill(0);
      const dcSize = reader.decode(dc);
      if (dcSize > 16)
        throw new DecodeError(
          'corrupt-pixels',
          'The JPEG data holds an impossible DC difference; the file is damaged.',
        );
      predictor += dcSize === 0 ? 0 : extend(reader.bits(dcSize), dcSize);
      coefficients[0] = predictor * quant[0]!;
      for (let k = 1; k < 64; ) {
        const symbol = reader.decode(ac);
        const run = symbol >> 4;
        const size = symbol & 15;
        if (size === 0) {
          if (run !== 15) break; // End of block.
          k += 16;
          continue;
        }
        k += run;
        if (k > 63)
          throw new DecodeError('corrupt-pixels', 'The JPEG data runs past the end of a block; the file is damaged.');
        const zz = ZIGZAG[k]!;
        coefficients[zz] = extend(reader.bits(size), size) * quant[zz]!;
        k += 1;
      }
      inverseDct(coefficients, temp);
      for (let y = 0; y < 8; y++) {
        const row = by * 8 + y;
        if (row >= rows) break;
        for (let x = 0; x < 8; x++) {
          const column = bx * 8 + x;
          if (column >= columns) break;
          const value = Math.round(temp[y * 8 + x]! + levelShift);
          out[row * columns + column] = value < 0 ? 0 : value > maxValue ? maxValue : value;
        }
      }
    }
  }
}

/** Separable 2-D IDCT: rows then columns, in doubles. */
function inverseDct(input: Float64Array, output: Float64Array): void {
  const rowPass = new Float64Array(64);
  for (let v = 0; v < 8; v++) {
    for (let x = 0; x < 8; x++) {
      let sum = 0;
      for (let u = 0; u < 8; u++) sum += IDCT_BASIS[x * 8 + u]! * input[v * 8 + u]!;
      rowPass[v * 8 + x] = sum;
    }
  }
  for (let x = 0; x < 8; x++) {
    for (let y = 0; y < 8; y++) {
      let sum = 0;
      for (let v = 0; v < 8; v++) sum += IDCT_BASIS[y * 8 + v]! * rowPass[v * 8 + x]!;
      output[y * 8 + x] = sum;
    }
  }
}
