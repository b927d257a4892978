/**
 * Huge and bomb images are refused by name, within the memory budget. The bombs are made here:
 * a tiny PNG whose IHDR claims 32000², deflated DICOM whose data set inflates far past what its
 * header declares, or whose header declares 32000²; and a real 20000² PNG made by sharp from a
 * solid colour (small on disk, 400 megapixels decoded). The memory bound is the process's peak
 * resident size (maxRSS), which a decode that allocated the bomb's pixels would raise; the bomb
 * cases run first, before anything else in this file raises the peak.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDeflateRaw, crc32, deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeError, decodeFile } from './index';
import { DECODE_MEMORY_PER_WORKER, MAX_FRAME_PIXELS, decodeWorkerCount } from './limits';
import { renderThumbnail } from './thumbnail';
import { readTrainingFrame } from './frame-reader';

const MIB = 1024 ** 2;
/** What a refused bomb may add to the peak resident size: its compressed bytes and parser objects, far below its pixels. */
const BOMB_MEMORY_ALLOWANCE = 96 * MIB;
/** The deflate bomb's inflated size: 256 MiB of zeros, from about 250 KiB on disk. */
const BOMB_INFLATED_BYTES = 256 * MIB;

/** sharp encodes the 400-megapixel PNG in several seconds on a busy CI core; the test's timeout, not an assertion. */
const ENCODE_TIMEOUT_MS = 120_000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function refusal(source: string | Uint8Array): Promise<DecodeError> {
  const error = await decodeFile(source).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DecodeError);
  return error as DecodeError;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** A valid-looking PNG header claiming width × height 8-bit grey, followed by a few rows of data. */
function pngClaiming(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit, greyscale, deflate, adaptive filter, no interlace
  const rows = deflateRawSync(Buffer.alloc((width + 1) * 4));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', rows), chunk('IEND', new Uint8Array())]);
}

/** One explicit VR little-endian element (PS3.5 7.1.2). */
function element(group: number, tag: number, vr: string, value: Uint8Array, length = value.length): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(tag, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(length, 8);
  else head.writeUInt16LE(length, 6);
  return Buffer.concat([head, value]);
}
const us = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
const text = (s: string): Buffer => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');

/** A Deflated Explicit VR Little Endian file: rows × columns 8-bit grey declared, `pixelBytes` of zero pixels deflated. */
async function deflatedDicom(rows: number, columns: number, pixelBytes: number): Promise<Uint8Array> {
  const meta = Buffer.concat([
    element(2, 1, 'OB', Buffer.from([0, 1])),
    element(2, 2, 'UI', text('1.2.840.10008.5.1.4.1.1.7')),
    element(2, 3, 'UI', text('1.2.3.4')),
    element(2, 0x10, 'UI', text('1.2.840.10008.1.2.1.99')),
  ]);
  const groupLength = element(2, 0, 'UL', Buffer.from(new Uint32Array([meta.length]).buffer));
  const header = Buffer.concat([
    element(8, 0x60, 'CS', text('OT')),
    element(0x28, 2, 'US', us(1)),
    element(0x28, 4, 'CS', text('MONOCHROME2')),
    element(0x28, 0x10, 'US', us(rows)),
    element(0x28, 0x11, 'US', us(columns)),
    element(0x28, 0x100, 'US', us(8)),
    element(0x28, 0x101, 'US', us(8)),
    element(0x28, 0x102, 'US', us(7)),
    element(0x28, 0x103, 'US', us(0)),
    element(0x7fe0, 0x10, 'OB', new Uint8Array(), pixelBytes),
  ]);
  // Deflated as a stream from one reused block of zeros, so making the bomb never holds its pixels.
  const deflater = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  deflater.on('data', (part: Buffer) => parts.push(part));
  const finished = new Promise((resolve) => deflater.on('end', resolve));
  deflater.write(header);
  const zeros = Buffer.alloc(MIB);
  for (let left = pixelBytes; left > 0; left -= zeros.length) {
    if (!deflater.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await new Promise((resolve) => deflater.once('drain', resolve));
  }
  deflater.end();
  await finished;
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, meta, ...parts]);
}

describe('bomb images are refused by name within the memory budget', () => {
  it('refuses a small PNG whose header claims 32000² without allocating its pixels', async () => {
    const bomb = pngClaiming(32_000, 32_000);
    expect(bomb.length).toBeLessThan(200_000);
    const before = peakRss();
    const error = await refusal(bomb);
    expect(error.failure).toBe('too-large');
    expect(error.message).toMatch(/32000×32000 pixels \(1024 megapixels\), more than Loupe's limit of 268 megapixels per frame/);
    expect(peakRss() - before).toBeLessThan(BOMB_MEMORY_ALLOWANCE);
  });

  it('refuses a deflated DICOM whose data set inflates far past the pixels its header declares', async () => {
    const bomb = await deflatedDicom(64, 64, BOMB_INFLATED_BYTES);
    expect(bomb.length).toBeLessThan(BOMB_INFLATED_BYTES / 500);
    const before = peakRss();
    const error = await refusal(bomb);
    expect(error.failure).toBe('too-large');
    expect(error.message).toMatch(/inflates to more than the 1 MiB of pixels its header declares.*possible deflate bomb/);
    expect(peakRss() - before).toBeLessThan(BOMB_MEMORY_ALLOWANCE);
  });

  it('refuses a deflated DICOM whose header declares 32000² before inflating the rest', async () => {
    const bomb = await deflatedDicom(32_000, 32_000, 64 * MIB);
    const before = peakRss();
    const error = await refusal(bomb);
    expect(error.failure).toBe('too-large');
    expect(error.message).toMatch(/32000×32000 pixels .*268 megapixels per frame/);
    expect(peakRss() - before).toBeLessThan(BOMB_MEMORY_ALLOWANCE);
  });

  it('still decodes a deflated DICOM that inflates to what it declares', async () => {
    const file = await deflatedDicom(300, 200, 300 * 200);
    const { info, frame } = await decodeFile(file);
    expect([info.rows, info.columns, frame.data.length]).toEqual([300, 200, 60_000]);
  });
});

describe('a real 20000² image', () => {
  const file = path.join(dir, 'solid-20000.png');
  it('is refused by the decoder, the thumbnail step and training input with the same named limit', async () => {
    const png = await sharp({ create: { width: 20_000, height: 20_000, channels: 3, background: '#404040' }, limitInputPixels: false })
      .toColourspace('b-w')
      .png({ compressionLevel: 1 })
      .toBuffer();
    writeFileSync(file, png);
    const limit = /20000×20000 pixels \(400 megapixels\), more than Loupe's limit of 268 megapixels per frame/;
    const error = await refusal(file);
    expect(error.failure).toBe('too-large');
    expect(error.message).toMatch(limit);
    await expect(readTrainingFrame(file, 0)).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringMatching(limit) });
    // The thumbnail step checks the frame it is handed too (a frame from another decoder, or a bug upstream).
    const frame = { frame: 0, rows: 20_000, columns: 20_000, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, photometricInterpretation: 'MONOCHROME2', transferSyntaxUID: null, rescaleSlope: 1, rescaleIntercept: 0, windowCenter: null, windowWidth: null, data: new Uint8Array(1), minValue: 0, maxValue: 0 } as const;
    await expect(renderThumbnail(frame)).rejects.toMatchObject({ failure: 'too-large', message: expect.stringMatching(limit) });
  }, ENCODE_TIMEOUT_MS);
});

describe('decodeWorkerCount', () => {
  it('starts no more workers than free memory holds at the per-worker budget, nor more than the cores but one', () => {
    const GIB = 1024 ** 3;
    expect(MAX_FRAME_PIXELS).toBe(16_383 * 16_383);
    expect(decodeWorkerCount(16, 64 * GIB)).toBe(4);
    expect(decodeWorkerCount(3, 64 * GIB)).toBe(2);
    expect(decodeWorkerCount(16, 2 * DECODE_MEMORY_PER_WORKER + GIB)).toBe(2);
    expect(decodeWorkerCount(16, GIB)).toBe(1);
    expect(decodeWorkerCount(1, 64 * GIB)).toBe(1);
  });
});
