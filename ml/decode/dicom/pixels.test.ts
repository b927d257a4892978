import { describe, expect, it } from 'vitest';
import type { DicomImageInfo } from './info';
import { nativeSamples, storedValues, storesWholeSamples, valueRange } from './pixels';

const info = (bitsAllocated: number, bitsStored: number, highBit: number, pixelRepresentation: number) =>
  ({ bitsAllocated, bitsStored, highBit, pixelRepresentation, samplesPerPixel: 1 }) as DicomImageInfo;

/** Little-endian 16-bit cells of `values`, as a file holds them, at an offset inside a larger buffer. */
function fileBytes(values: number[], offset: number): Uint8Array {
  const bytes = new Uint8Array(offset + values.length * 2 + 3);
  values.forEach((v, i) => {
    bytes[offset + 2 * i] = v & 0xff;
    bytes[offset + 2 * i + 1] = (v >> 8) & 0xff;
  });
  return bytes.subarray(offset, offset + values.length * 2);
}

describe('storedValues', () => {
  // 12 of 16 bits, high bits holding overlay garbage; the signed case sign-extends bit 11.
  const cells = [0xf000, 0x0001, 0x07ff, 0x0800, 0xafff, 0x1234, 0x0000];
  const cases = [
    { name: 'unsigned 12 of 16', header: info(16, 12, 11, 0), expected: [0, 1, 2047, 2048, 4095, 0x234, 0] },
    { name: 'signed 12 of 16', header: info(16, 12, 11, 1), expected: [0, 1, 2047, -2048, -1, 0x234, 0] },
    {
      name: 'unsigned 12 of 16, high bit 15',
      header: info(16, 12, 15, 0),
      expected: [3840, 0, 127, 128, 2815, 291, 0],
    },
  ];
  for (const { name, header, expected } of cases)
    it(`${name}: the values, and their range from the same pass`, () => {
      for (const offset of [8, 9]) {
        // Even offsets share the file's bytes, odd ones are copied: the values are the same.
        const samples = nativeSamples(fileBytes(cells, offset), header, false, false, !storesWholeSamples(header));
        const { values, range } = storedValues(samples, header);
        expect(Array.from(values)).toEqual(expected);
        expect(range).toEqual(valueRange(values));
        // In place: the same values and range, written over the samples' own cells.
        const over = nativeSamples(fileBytes(cells, offset), header, false, false, !storesWholeSamples(header));
        const written = storedValues(over, header, true);
        expect(Array.from(written.values)).toEqual(expected);
        expect(written.range).toEqual(range);
        expect(written.values.buffer).toBe(over.buffer);
        expect(written.values.byteOffset).toBe(over.byteOffset);
      }
    });

  it('hands whole samples on without a pass, and without a range', () => {
    const header = info(16, 16, 15, 1);
    expect(storesWholeSamples(header)).toBe(true);
    const { values, range } = storedValues(new Uint16Array([0xffff, 2]), header);
    expect(Array.from(values)).toEqual([-1, 2]);
    expect(range).toBeNull();
  });
});
