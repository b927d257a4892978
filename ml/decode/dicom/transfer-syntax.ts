/**
 * The transfer syntaxes Loupe decodes (PS3.5 Annex A and PS3.6 Annex A), each with the codec
 * that reads its pixel data.
 */
import { decodeJpegExtended } from '../codecs/jpeg-extended';
import { decodeJpegLossless } from '../codecs/jpeg-lossless';
import { decodeRle } from '../codecs/rle';
import type { FrameCodec } from '../codecs/types';
import { decodeJpeg2000, decodeJpegBaseline, decodeJpegLs } from '../codecs/wasm-codecs';

export interface TransferSyntax {
  name: string;
  /** Native (uncompressed) pixel data, and its byte order; otherwise the codec of each encapsulated frame. */
  pixels: { kind: 'native'; bigEndian: boolean } | { kind: 'encapsulated'; codec: FrameCodec };
}

export const TRANSFER_SYNTAXES: Readonly<Record<string, TransferSyntax>> = {
  '1.2.840.10008.1.2': { name: 'Implicit VR Little Endian', pixels: { kind: 'native', bigEndian: false } },
  '1.2.840.10008.1.2.1': { name: 'Explicit VR Little Endian', pixels: { kind: 'native', bigEndian: false } },
  '1.2.840.10008.1.2.1.99': {
    name: 'Deflated Explicit VR Little Endian',
    pixels: { kind: 'native', bigEndian: false },
  },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', pixels: { kind: 'native', bigEndian: true } },
  '1.2.840.10008.1.2.4.50': {
    name: 'JPEG Baseline (Process 1)',
    pixels: { kind: 'encapsulated', codec: decodeJpegBaseline },
  },
  '1.2.840.10008.1.2.4.51': {
    name: 'JPEG Extended (Process 2 & 4)',
    pixels: { kind: 'encapsulated', codec: decodeJpegExtended },
  },
  '1.2.840.10008.1.2.4.57': {
    name: 'JPEG Lossless (Process 14)',
    pixels: { kind: 'encapsulated', codec: decodeJpegLossless },
  },
  '1.2.840.10008.1.2.4.70': {
    name: 'JPEG Lossless (Process 14, SV1)',
    pixels: { kind: 'encapsulated', codec: decodeJpegLossless },
  },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', pixels: { kind: 'encapsulated', codec: decodeJpegLs } },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', pixels: { kind: 'encapsulated', codec: decodeJpegLs } },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 Lossless', pixels: { kind: 'encapsulated', codec: decodeJpeg2000 } },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', pixels: { kind: 'encapsulated', codec: decodeJpeg2000 } },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', pixels: { kind: 'encapsulated', codec: decodeRle } },
};

export function transferSyntaxNamed(uid: string): string {
  return TRANSFER_SYNTAXES[uid]?.name ?? uid;
}
