/** The Huffman side of a sequential JPEG (ITU T.81 Annex C and F.2.2): code tables, the bit reader over entropy-coded data, and EXTEND. */
import { DecodeError } from '../errors';

export interface HuffmanTable {
  maxCode: Int32Array;
  valuePointer: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

export function buildHuffman(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const minCode = new Int32Array(17);
  const valuePointer = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    valuePointer[length] = k;
    minCode[length] = code;
    code += n;
    k += n;
    maxCode[length] = n > 0 ? code - 1 : -1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, minCode, valuePointer, values };
}

export class BitReader {
  private buffer = 0;
  private count = 0;
  constructor(
    private readonly data: Uint8Array,
    public position: number,
  ) {}

  bit(): number {
    if (this.count === 0) {
      let byte = 0;
      if (this.position < this.data.length) {
        byte = this.data[this.position]!;
        if (byte === 0xff) {
          const next = this.data[this.position + 1];
          if (next === 0x00) this.position += 2;
          else byte = 0; // A marker: the scan's data ended early; pad with zeros as libjpeg does.
        } else {
          this.position += 1;
        }
      }
      this.buffer = byte;
      this.count = 8;
    }
    this.count -= 1;
    return (this.buffer >> this.count) & 1;
  }

  bits(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) value = (value << 1) | this.bit();
    return value;
  }

  decode(table: HuffmanTable): number {
    let code = this.bit();
    let length = 1;
    while (code > table.maxCode[length]!) {
      code = (code << 1) | this.bit();
      length += 1;
      if (length > 16)
        throw new DecodeError('corrupt-pixels', 'The JPEG data holds an invalid Huffman code; the file is damaged.');
    }
    const index = table.valuePointer[length]! + code - table.minCode[length]!;
    if (index >= table.values.length)
      throw new DecodeError('corrupt-pixels', 'The JPEG data holds an invalid Huffman code; the file is damaged.');
    return table.values[index]!;
  }

  /** Skips to the byte after the next RSTn marker and forgets buffered bits. */
  restart(): void {
    this.count = 0;
    while (this.position + 1 < this.data.length) {
      if (
        this.data[this.position] === 0xff &&
        this.data[this.position + 1]! >= 0xd0 &&
        this.data[this.position + 1]! <= 0xd7
      ) {
        this.position += 2;
        return;
      }
      this.position += 1;
    }
  }
}

/** EXTEND (ITU T.81 F.2.2.1): the s-bit value v as a signed coefficient difference. */
export function extend(value: number, size: number): number {
  return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
}
