/**
 * JPEG lossless, process 14 (any predictor) and its selection-value-1 form, with
 * jpeg-lossless-decoder-js (pure JavaScript; no WASM codec covers this process).
 */
import { Decoder } from 'jpeg-lossless-decoder-js';
import { DecodeError, asDecodeError } from '../errors';
import { expectSize, readJpegFrameHeader } from './headers';
import type { FrameCodec } from './types';

/** SOF3: lossless, Huffman-coded (ITU T.81 Table B.1). */
const SOF3 = 0xc3;

export const decodeJpegLossless: FrameCodec = async (encoded, geometry) => {
  const header = readJpegFrameHeader(encoded);
  if (header.marker !== SOF3)
    throw new DecodeError(
      'corrupt-pixels',
      'The pixel data is not a lossless JPEG (process 14) image, as its transfer syntax says.',
    );
  expectSize(header, geometry.rows, geometry.columns, geometry.samplesPerPixel, geometry.bitsAllocated);
  let samples: Uint8Array | Uint16Array;
  try {
    const decoder = new Decoder();
    // A fresh copy: the decoder reads through an ArrayBuffer, which must hold only this frame.
    const copy = encoded.slice();
    samples = decoder.decode(copy.buffer, 0, copy.byteLength, geometry.bitsAllocated / 8);
  } catch (error) {
    throw asDecodeError(error, 'corrupt-pixels', 'The lossless JPEG pixel data is damaged');
  }
  const expected = geometry.rows * geometry.columns * geometry.samplesPerPixel;
  if (!samples || samples.length !== expected) {
    throw new DecodeError(
      'corrupt-pixels',
      'The lossless JPEG pixel data decoded to the wrong number of samples; it is damaged.',
    );
  }
  return { samples, layout: 'interleaved', rgb: false };
};
