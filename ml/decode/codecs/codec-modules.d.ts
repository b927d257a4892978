/**
 * Types for the Emscripten builds of the Cornerstone codecs (they ship none) and for
 * jpeg-lossless-decoder-js (whose package names a .d.ts it does not ship). Only what Loupe calls.
 */
interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface CodecDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

interface CodecModule {
  JPEGDecoder: new () => CodecDecoder;
  JpegLSDecoder: new () => CodecDecoder;
  J2KDecoder: new () => CodecDecoder;
  getExceptionMessage?: (pointer: number) => string;
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (options?: object) => Promise<CodecModule>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: object) => Promise<CodecModule>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options?: object) => Promise<CodecModule>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer | null, numBytes?: number);
    /** Decodes one lossless JPEG image; the result has one element per sample. */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
    precision: number;
    numComp: number;
    xDim: number;
    yDim: number;
  }
}
