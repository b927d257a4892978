/**
 * Huge and bomb images are refused by name, within the memory budget. The bombs are made by the
 * test (tests/fixtures/imaging/bombs.ts): a tiny PNG whose IHDR claims 32000², deflated DICOM whose
 * data set inflates far past what its header declares, or whose header declares 32000²; and a
 * real 20000² PNG made by sharp from a solid colour (small on disk, 400 megapixels decoded). The memory bound is the process's peak
 * resident size (maxRSS), which a decode that allocated the bomb's pixels would raise; the bomb
 * cases run first, before anything else in this file raises the peak.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deflatedDicom, pngClaiming, solidPng } from '../../tests/fixtures/imaging/bombs';
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

describe('bomb images are refused by name within the memory budget', () => {
  it('refuses a small PNG whose header claims 32000² without allocating its pixels', async () => {
    const bomb = pngClaiming(32_000, 32_000);
    expect(bomb.length).toBeLessThan(200_000);
    const before = peakRss();
    const error = await refusal(bomb);
    expect(error.failure).toBe('too-large');
    expect(error.message).toMatch(
      /32000×32000 pixels \(1024 megapixels\), more than Loupe's limit of 268 megapixels per frame/,
    );
    expect(peakRss() - before).toBeLessThan(BOMB_MEMORY_ALLOWANCE);
  });

  it('refuses a deflated DICOM whose data set inflates far past the pixels its header declares', async () => {
    const bomb = await deflatedDicom(64, 64, BOMB_INFLATED_BYTES);
    expect(bomb.length).toBeLessThan(BOMB_INFLATED_BYTES / 500);
    const before = peakRss();
    const error = await refusal(bomb);
    expect(error.failure).toBe('too-large');
    expect(error.message).toMatch(
      /inflates to more than the 4 KiB of pixels its header declares \(plus 16 MiB for the header\); it was skipped as a possible deflate bomb/,
    );
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
  it(
    'is refused by the decoder, the thumbnail step and training input with the same named limit',
    async () => {
      writeFileSync(file, await solidPng(20_000, 20_000));
      const limit = /20000×20000 pixels \(400 megapixels\), more than Loupe's limit of 268 megapixels per frame/;
      const error = await refusal(file);
      expect(error.failure).toBe('too-large');
      expect(error.message).toMatch(limit);
      await expect(readTrainingFrame(file, 0)).rejects.toMatchObject({
        code: 'BAD_IMAGE',
        message: expect.stringMatching(limit),
      });
      // The thumbnail step checks the frame it is handed too (a frame from another decoder, or a bug upstream).
      const frame = {
        frame: 0,
        rows: 20_000,
        columns: 20_000,
        samplesPerPixel: 1,
        bitsAllocated: 8,
        bitsStored: 8,
        pixelRepresentation: 0,
        photometricInterpretation: 'MONOCHROME2',
        transferSyntaxUID: null,
        rescaleSlope: 1,
        rescaleIntercept: 0,
        windowCenter: null,
        windowWidth: null,
        data: new Uint8Array(1),
        minValue: 0,
        maxValue: 0,
      } as const;
      await expect(renderThumbnail(frame)).rejects.toMatchObject({
        failure: 'too-large',
        message: expect.stringMatching(limit),
      });
    },
    ENCODE_TIMEOUT_MS,
  );
});

describe('decodeWorkerCount', () => {
  it('starts no more workers than free memory holds at the per-worker budget, nor more than the cores but one', () => {
    const GIB = 1024 ** 3;
    expect(MAX_FRAME_PIXELS).toBe(16_384 * 16_384);
    expect(decodeWorkerCount(16, 64 * GIB)).toBe(4);
    expect(decodeWorkerCount(3, 64 * GIB)).toBe(2);
    expect(decodeWorkerCount(16, 2 * DECODE_MEMORY_PER_WORKER + GIB)).toBe(2);
    expect(decodeWorkerCount(16, GIB)).toBe(1);
    expect(decodeWorkerCount(1, 64 * GIB)).toBe(1);
  });

  it('gives the headless CLI every core, within the same memory and count limits', () => {
    const GIB = 1024 ** 3;
    expect(decodeWorkerCount(2, 64 * GIB, true)).toBe(2);
    expect(decodeWorkerCount(3, 64 * GIB, true)).toBe(3);
    expect(decodeWorkerCount(16, 64 * GIB, true)).toBe(4);
    expect(decodeWorkerCount(16, GIB, true)).toBe(1);
  });
});
