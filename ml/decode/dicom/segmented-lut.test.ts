/**
 * Segmented palettes against pydicom's expansion (DCMTK and GDCM 3.0 do not expand them), on
 * files written by DCMTK from segments made in tests/fixtures/imaging/segmented-palette.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSegmentedPalettes } from '../../../tests/fixtures/imaging/segmented-palette';
import { runReference } from '../../../tests/helpers/python-reference';
import { decodeDicomFrame, openDicom } from './decode';

const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-segmented-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('segmented palette colour', () => {
  const fixtures = writeSegmentedPalettes(dir);
  it.each(fixtures.map((f) => [f.name, f] as const))('%s equals pydicom', async (_name, fixture) => {
    const opened = openDicom(new Uint8Array(readFileSync(fixture.file)));
    const frame = await decodeDicomFrame(opened, 0);
    const { rgb } = runReference<{ rgb: number[] }>('pydicom_palette.py', { file: fixture.file });
    expect(frame.samplesPerPixel).toBe(3);
    expect(frame.bitsStored).toBe(fixture.bits);
    expect(Array.from(frame.data)).toEqual(rgb);
    // The segments really vary: not one flat colour.
    expect(new Set(rgb).size).toBeGreaterThan(100);
  });

  it('refuses a segment that runs past the data', async () => {
    const bytes = new Uint8Array(readFileSync(fixtures[0]!.file));
    const opened = openDicom(bytes);
    const element = opened.dataSet.elements.x00281221!;
    // Make the first discrete segment claim 1000 entries.
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(element.dataOffset + 2, 1000, true);
    expect(() => openDicom(bytes)).toThrow(/discrete segment runs past the end/);
  });
});
