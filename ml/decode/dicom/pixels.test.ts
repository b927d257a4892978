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

  it('agrees with the arithmetic of PS3.5 §8.1.1 for every BitsStored and HighBit a header may give', () => {
    // Arithmetic, not bit operations: the stored bits are the cell divided by 2^(HighBit + 1 −
    // BitsStored), modulo 2^BitsStored; a signed value with its top bit set is less 2^BitsStored.
    const reference = (cell: number, bitsStored: number, highBit: number, signed: boolean): number => {
      const bits = Math.floor(cell / 2 ** (highBit + 1 - bitsStored)) % 2 ** bitsStored;
      return signed && bits >= 2 ** (bitsStored - 1) ? bits - 2 ** bitsStored : bits;
    };
    let state = 12345;
    const random = (limit: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % limit;
    };
    for (const bitsAllocated of [8, 16])
      for (let bitsStored = 1; bitsStored <= bitsAllocated; bitsStored++)
        for (let highBit = bitsStored - 1; highBit < bitsAllocated; highBit++)
          for (const signed of [false, true]) {
            const header = info(bitsAllocated, bitsStored, highBit, signed ? 1 : 0);
            const cells = [0, 2 ** bitsAllocated - 1, ...Array.from({ length: 40 }, () => random(2 ** bitsAllocated))];
            const expected = cells.map((cell) => reference(cell, bitsStored, highBit, signed));
            const inputs =
              bitsAllocated === 8
                ? [Uint8Array.from(cells)]
                : // A codec may hand over signed cells: the same bits read as int16.
                  [Uint16Array.from(cells), new Int16Array(Uint16Array.from(cells).buffer)];
            for (const samples of inputs) {
              const { values, range } = storedValues(samples, header);
              const label = `${bitsStored} of ${bitsAllocated}, high bit ${highBit}, ${signed ? 'signed' : 'unsigned'}`;
              expect(Array.from(values), label).toEqual(expected);
              if (range)
                expect(range, label).toEqual({ minValue: Math.min(...expected), maxValue: Math.max(...expected) });
            }
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
