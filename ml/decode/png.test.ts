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

/** Reading `bytes` one way: whether png.ts took it, and the pixels or which step refused it. */
async function readWith(bytes: Buffer, simplePngs: boolean): Promise<{ png: boolean; result: unknown }> {
  let opened;
  try {
    opened = await openRaster(bytes, 'png', simplePngs);
  } catch (error) {
    return { png: false, result: `open: ${(error as Error).name}` };
  }
  const result = await decodeRasterFrame(bytes, opened, 0).then(
    (frame) => ({ info: opened.info, data: Array.from(frame.data) }),
    (error: Error) => `frame: ${error.name}`,
  );
  return { png: Boolean(opened.png), result };
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
      withChunk(chunk('p\u00e7Ys', Buffer.alloc(9))), // Not a valid chunk type: libpng refuses the file.
      withChunk(chunk('pHys', Buffer.alloc(9))), // The reserved (third) letter lower case.
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

  it('agrees with sharp on 300 random PNGs: layouts, sizes, filter bytes, ancillary chunks, cut data', async () => {
    // Some filter bytes out of range, ancillary chunks of random content, some data cut short:
    // where png.ts reads a file, sharp must read the same; elsewhere both are sharp.
    let state = 11;
    const random = (limit: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % limit;
    };
    const ancillary = ['tEXt', 'gAMA', 'sRGB', 'cHRM', 'tIME', 'bKGD', 'sBIT', 'zTXt', 'iTXt', 'eXIf', 'oFFs'];
    let read = 0;
    for (let k = 0; k < 300; k++) {
      const colourType = ([0, 2, 4, 6] as const)[random(4)]!;
      const bitDepth = random(2) === 0 ? 8 : 16;
      const [width, height] = [1 + random(20), 1 + random(12)];
      const rowBytes = (width * CHANNELS[colourType] * bitDepth) / 8;
      const raw = Buffer.from(Array.from({ length: height * (rowBytes + 1) }, () => random(256)));
      for (let y = 0; y < height; y++) raw[y * (rowBytes + 1)] = random(10) === 0 ? random(256) : random(5);
      const header = Buffer.alloc(13);
      header.writeUInt32BE(width, 0);
      header.writeUInt32BE(height, 4);
      header.set([bitDepth, colourType, 0, 0, 0], 8);
      const extra = Array.from({ length: random(3) }, () =>
        chunk(ancillary[random(ancillary.length)]!, Buffer.from(Array.from({ length: random(14) }, () => random(256)))),
      );
      const data = zlib.deflateSync(raw);
      const bytes = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', header),
        ...extra,
        chunk('IDAT', random(8) === 0 ? data.subarray(0, data.length - 1 - random(4)) : data),
        chunk('IEND', new Uint8Array()),
      ]);
      const [ours, reference] = [await readWith(bytes, true), await readWith(bytes, false)];
      if (ours.png && typeof ours.result !== 'string') read++;
      expect(ours.result, `random PNG ${k}`).toEqual(reference.result);
    }
    expect(read).toBeGreaterThan(50); // png.ts read a good share of them.
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
    for (const bytes of [badData, badCrc, truncated])
      expect((await readWith(bytes, true)).result).toEqual((await readWith(bytes, false)).result);
  });
});
