/**
 * Every decoder path against reference pixels from GDCM/DCMTK (and the synthetic source for
 * lossless syntaxes): exact for lossless, within ±1 for lossy. Fixtures: tests/fixtures/imaging.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureImagingFixtures } from '../../tests/fixtures/imaging/generate';
import { decodeFile, openImage, readImageBytes } from './index';

beforeAll(async () => {
  await ensureImagingFixtures();
}, 120_000);

const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  float32: Float32Array,
} as const;

function readReference(file: string, type: keyof typeof ARRAYS): ArrayLike<number> {
  const bytes = readFileSync(file);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ARRAYS[type](copy.buffer);
}

/** Largest absolute difference, and where. */
function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): { max: number; at: number } {
  let max = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (d > max) {
      max = d;
      at = i;
    }
  }
  return { max, at };
}

describe('DICOM decoding against reference decoders', async () => {
  const { dicom } = await ensureImagingFixtures();
  it.each(dicom.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const image = await openImage(await readImageBytes(fixture.file));
    expect(image.info).toMatchObject({
      rows: fixture.rows,
      columns: fixture.columns,
      frames: fixture.frames,
      samplesPerPixel: fixture.samplesPerPixel,
      bitsAllocated: fixture.bitsAllocated,
      bitsStored: fixture.bitsStored,
      pixelRepresentation: fixture.pixelRepresentation,
      photometricInterpretation: fixture.photometric,
      transferSyntaxUID: fixture.transferSyntaxUID,
      patientId: fixture.patientId,
      modality: fixture.modality,
      rescaleSlope: fixture.rescaleSlope,
      rescaleIntercept: fixture.rescaleIntercept,
    });
    const reference = readReference(fixture.expected, fixture.sampleType);
    const perFrame = fixture.rows * fixture.columns * fixture.samplesPerPixel;
    expect(reference.length).toBe(perFrame * fixture.frames);
    for (let f = 0; f < fixture.frames; f++) {
      const frame = await image.decodeFrame(f);
      expect(frame.data).toBeInstanceOf(ARRAYS[fixture.sampleType]);
      expect(frame.data.length).toBe(perFrame);
      const expected = Array.prototype.slice.call(reference, f * perFrame, (f + 1) * perFrame) as number[];
      const { max, at } = maxDifference(frame.data, expected);
      expect(
        max,
        `frame ${f}: sample ${at} is ${frame.data[at]} but ${fixture.reference} says ${expected[at]}`,
      ).toBeLessThanOrEqual(fixture.tolerance);
      if (fixture.source)
        expect(maxDifference(frame.data, readReference(fixture.source, fixture.sampleType)).max).toBeLessThanOrEqual(1);
    }
  });
});

describe('raster decoding keeps depth', async () => {
  const { raster } = await ensureImagingFixtures();
  it.each(raster.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const { info, frame } = await decodeFile(fixture.file);
    expect(info).toMatchObject({
      format: fixture.format,
      rows: fixture.rows,
      columns: fixture.columns,
      samplesPerPixel: fixture.samplesPerPixel,
    });
    expect(frame.data).toBeInstanceOf(ARRAYS[fixture.sampleType]);
    const { max, at } = maxDifference(frame.data, readReference(fixture.expected, fixture.sampleType));
    expect(max, `sample ${at}`).toBeLessThanOrEqual(fixture.tolerance);
  });
});

describe('broken files give typed errors', async () => {
  const { broken } = await ensureImagingFixtures();
  const failing = broken.filter((b) => b.expect !== 'imported' && b.expect !== 'duplicate');
  it.each(failing.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    await expect(decodeFile(fixture.file)).rejects.toMatchObject({ name: 'DecodeError', failure: fixture.expect });
  });
});
