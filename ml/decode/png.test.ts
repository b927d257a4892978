/**
 * png.ts against sharp (libpng inside libvips): every PNG layout it reads, every scanline filter,
 * odd sizes, resolution chunks and damaged files give the same image information and pixels as
 * sharp's own reading (openRaster with simplePngs off); the PNGs it leaves to sharp are left.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeRasterFrame, openRaster } from './raster';
import { simplePng } from './png';

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(zlib.crc32(body), 8 + data.length);
  return out;
}

interface Layout {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  colourType: 0 | 2 | 4 | 6;
  /** The filter of line y: filters[y % filters.length]. */
  filters: number[];
  extra?: Buffer[];
  /** Split the compressed data over this many IDAT chunks. */
  idats?: number;
}

const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 } as const;

/** A PNG written here, independently of png.ts: each line filtered as the layout says. */
function writePng(layout: Layout, seed = 1): Buffer {
  const { width, height, bitDepth, colourType, filters } = layout;
  const step = (CHANNELS[colourType] * bitDepth) / 8;
  const rowBytes = width * step;
  let state = seed;
  const lines = Array.from({ length: height }, () =>
    Uint8Array.from({ length: rowBytes }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    }),
  );
  const filtered = Buffer.alloc(height * (rowBytes + 1));
  lines.forEach((line, y) => {
    const filter = filters[y % filters.length]!;
    const above = y > 0 ? lines[y - 1]! : new Uint8Array(rowBytes);
    filtered[y * (rowBytes + 1)] = filter;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= step ? line[i - step]! : 0;
      const b = above[i]!;
      const c = i >= step ? above[i - step]! : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const predicted = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      filtered[y * (rowBytes + 1) + 1 + i] = (line[i]! - predicted) & 0xff;
    }
  });
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([bitDepth, colourType, 0, 0, 0], 8);
  const compressed = zlib.deflateSync(filtered);
  const parts = layout.idats ?? 1;
  const size = Math.ceil(compressed.length / parts);
  const idat = Array.from({ length: parts }, (_, i) => chunk('IDAT', compressed.subarray(i * size, (i + 1) * size)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...(layout.extra ?? []),
    ...idat,
    chunk('IEND', new Uint8Array()),
  ]);
}

function pHYs(x: number, y: number, unit: number): Buffer {
  const data = Buffer.alloc(9);
  data.writeUInt32BE(x, 0);
  data.writeUInt32BE(y, 4);
  data[8] = unit;
  return chunk('pHYs', data);
}

/** What Loupe reads of `bytes`: through png.ts where it takes the file, and through sharp alone. */
async function bothWays(bytes: Buffer) {
  const [ours, reference] = await Promise.all([openRaster(bytes, 'png'), openRaster(bytes, 'png', false)]);
  const read = async (opened: typeof ours) =>
    decodeRasterFrame(bytes, opened, 0).then(
      (frame) => ({ ...frame, data: Array.from(frame.data) }),
      (error: Error) => error.message,
    );
  return { ours, reference, oursFrame: await read(ours), referenceFrame: await read(reference) };
}

describe('PNGs read without sharp', () => {
  const layouts: Layout[] = [];
  for (const colourType of [0, 2, 4, 6] as const)
    for (const bitDepth of [8, 16] as const)
      for (const [width, height] of [
        [1, 1],
        [7, 5],
        [33, 17],
      ] as const)
        layouts.push({ width, height, bitDepth, colourType, filters: [0, 1, 2, 3, 4] });
  for (const filter of [0, 1, 2, 3, 4])
    layouts.push({ width: 9, height: 6, bitDepth: 8, colourType: 2, filters: [filter] });

  it.each(layouts)(
    'colour type $colourType, $bitDepth-bit, $width×$height, filters $filters: as sharp reads it',
    async (layout) => {
      const bytes = writePng(layout);
      expect(simplePng(bytes)).not.toBeNull();
      const { ours, reference, oursFrame, referenceFrame } = await bothWays(bytes);
      expect(ours.png).toBeDefined();
      expect(reference.png).toBeUndefined();
      expect(ours.info).toEqual(reference.info);
      expect(ours.depth).toBe(reference.depth);
      expect(oursFrame).toEqual(referenceFrame);
    },
  );

  it('reads pixels split over several IDAT chunks, and skips text chunks', async () => {
    const text = chunk('tEXt', Buffer.from('Comment\0made by a test', 'latin1'));
    const bytes = writePng({
      width: 20,
      height: 11,
      bitDepth: 16,
      colourType: 0,
      filters: [4, 1],
      idats: 3,
      extra: [text],
    });
    const { ours, oursFrame, referenceFrame } = await bothWays(bytes);
    expect(ours.png?.idat).toHaveLength(3);
    expect(oursFrame).toEqual(referenceFrame);
  });

  it.each([
    [2835, '72 dpi'],
    [3937, '100 dpi'],
    [1001, 'just above one pixel a millimetre'],
    [1020, 'rounded up to whole dots per inch'],
    [1000, 'one pixel a millimetre'],
    [500, 'below one pixel a millimetre'],
  ])('gives the pixel spacing sharp gives for pHYs of %i pixels a metre (%s)', async (perMetre) => {
    const bytes = writePng({
      width: 4,
      height: 3,
      bitDepth: 8,
      colourType: 0,
      filters: [0],
      extra: [pHYs(perMetre, perMetre, 1)],
    });
    const { ours, reference } = await bothWays(bytes);
    expect(ours.png).toBeDefined();
    expect(ours.info.pixelSpacing).toEqual(reference.info.pixelSpacing);
    expect(ours.info).toEqual(reference.info);
  });

  it('leaves to sharp what it does not read: large images, palette, transparency, colour profile, interlace, low bit depths, pHYs without units', async () => {
    const grey: Layout = { width: 4, height: 3, bitDepth: 8, colourType: 0, filters: [0] };
    const withChunk = (c: Buffer) => writePng({ ...grey, extra: [c] });
    const iccp = Buffer.concat([Buffer.from('sRGB\0\0', 'latin1'), zlib.deflateSync(Buffer.alloc(16))]);
    const interlaced = writePng(grey);
    interlaced[8 + 8 + 12] = 1; // IHDR's interlace byte, and IHDR's CRC put right.
    interlaced.writeUInt32BE(zlib.crc32(interlaced.subarray(12, 29)), 29);
    for (const bytes of [
      writePng({ ...grey, width: 513, height: 512 }), // Larger than SIMPLE_PNG_MAX_PIXELS.
      withChunk(chunk('tRNS', Buffer.from([0, 7]))),
      withChunk(chunk('iCCP', iccp)),
      withChunk(pHYs(2, 1, 0)),
      interlaced,
    ])
      expect(simplePng(bytes)).toBeNull();
    // A 1-bit greyscale PNG from sharp's own writer: sharp reads it, png.ts does not.
    const oneBit = await sharp(Buffer.alloc(16, 255), { raw: { width: 4, height: 4, channels: 1 } })
      .png({ colours: 2, palette: false })
      .toBuffer();
    const opened = await openRaster(oneBit, 'png');
    expect(opened.info.rows).toBe(4);
  });

  it('reports a damaged file as sharp does: bad data, a bad CRC, a truncated file', async () => {
    const good = writePng({ width: 16, height: 16, bitDepth: 8, colourType: 2, filters: [1, 4] });
    const idatAt = good.indexOf('IDAT', 0, 'latin1');
    const badData = Buffer.from(good);
    badData[idatAt + 10] = badData[idatAt + 10]! ^ 0xff; // Inside the compressed data, CRC put right: inflate fails or the pixels differ.
    const length = badData.readUInt32BE(idatAt - 4);
    badData.writeUInt32BE(zlib.crc32(badData.subarray(idatAt, idatAt + 4 + length)), idatAt + 4 + length);
    const badCrc = Buffer.from(good);
    badCrc[idatAt + 6] = badCrc[idatAt + 6]! ^ 0x01;
    const truncated = good.subarray(0, good.length - 30);
    for (const bytes of [badData, badCrc, truncated]) {
      const ours = await openRaster(bytes, 'png').then(
        (opened) =>
          decodeRasterFrame(bytes, opened, 0).then(
            (f) => Array.from(f.data),
            (e: Error) => `frame: ${e.name}`,
          ),
        (e: Error) => `open: ${e.name}`,
      );
      const reference = await openRaster(bytes, 'png', false).then(
        (opened) =>
          decodeRasterFrame(bytes, opened, 0).then(
            (f) => Array.from(f.data),
            (e: Error) => `frame: ${e.name}`,
          ),
        (e: Error) => `open: ${e.name}`,
      );
      expect(ours).toEqual(reference);
    }
  });
});
