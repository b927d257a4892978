/**
 * The Cornerstone WASM codecs: libjpeg-turbo (JPEG baseline 8-bit), CharLS (JPEG-LS) and
 * OpenJPEG (JPEG 2000). Each module is loaded once per thread on first use. An Emscripten module
 * that aborted may be left in a broken state, so after any failure its instance is dropped and
 * the next frame gets a fresh one.
 */
import { DecodeError, asDecodeError } from '../errors';
import { expectSize, readJ2kSize, readJpegFrameHeader, type CodestreamSize } from './headers';
import type { CodecOutput, FrameCodec, FrameGeometry } from './types';

type Loader = () => Promise<CodecModule>;

/** OpenJPEG logs every header it reads to stdout; that would corrupt `loupe decode --json` and fill logs. */
const QUIET = { print: () => {}, printErr: () => {} };

const loaders = {
  turbo: async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(QUIET),
  charls: async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(QUIET),
  openjpeg: async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(QUIET),
} satisfies Record<string, Loader>;

type CodecName = keyof typeof loaders;
const instances = new Map<CodecName, Promise<CodecModule>>();

function moduleFor(name: CodecName): Promise<CodecModule> {
  let instance = instances.get(name);
  if (!instance) {
    instance = loaders[name]();
    instances.set(name, instance);
  }
  return instance;
}

async function runDecoder(
  name: CodecName,
  make: (module: CodecModule) => CodecDecoder,
  encoded: Uint8Array,
  geometry: FrameGeometry,
  label: string,
): Promise<Uint8Array> {
  const module = await moduleFor(name);
  let decoder: CodecDecoder | null = null;
  try {
    decoder = make(module);
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== geometry.columns || info.height !== geometry.rows || info.componentCount !== geometry.samplesPerPixel) {
      throw new DecodeError('corrupt-pixels', `The ${label} codec decoded a ${info.width}×${info.height} image where the header promised ${geometry.columns}×${geometry.rows}.`);
    }
    const out = decoder.getDecodedBuffer();
    // Copy out of the WASM heap: the view dies with the decoder.
    return out.slice();
  } catch (error) {
    instances.delete(name);
    throw asDecodeError(describeWasmError(module, error), 'corrupt-pixels', `The ${label} pixel data is damaged`);
  } finally {
    try {
      decoder?.delete();
    } catch {
      // A decoder of an aborted module cannot be deleted; the module instance is dropped above.
    }
  }
}

/** Emscripten throws C++ exceptions as numbers (pointers); the module can turn them into text. */
function describeWasmError(module: CodecModule, error: unknown): unknown {
  if (typeof error === 'number' && module.getExceptionMessage) {
    try {
      return module.getExceptionMessage(error);
    } catch {
      return 'codec error';
    }
  }
  return error;
}

function bytesToSamples(bytes: Uint8Array, geometry: FrameGeometry, precision: number): Uint8Array | Uint16Array {
  const expected = geometry.rows * geometry.columns * geometry.samplesPerPixel;
  const bytesPerSample = precision > 8 ? 2 : 1;
  if (bytes.length !== expected * bytesPerSample) {
    throw new DecodeError('corrupt-pixels', `The codec returned ${bytes.length} bytes where ${expected * bytesPerSample} were expected.`);
  }
  if (bytesPerSample === 1) return bytes;
  // WASM memory is little-endian, as is every machine Loupe runs on.
  return new Uint16Array(bytes.buffer, bytes.byteOffset, expected);
}

function checkHeader(found: CodestreamSize, geometry: FrameGeometry): void {
  expectSize(found, geometry.rows, geometry.columns, geometry.samplesPerPixel, geometry.bitsAllocated);
}

export const decodeJpegBaseline: FrameCodec = async (encoded, geometry): Promise<CodecOutput> => {
  const header = readJpegFrameHeader(encoded);
  checkHeader(header, geometry);
  if (header.precision !== 8) throw new DecodeError('corrupt-pixels', `libjpeg-turbo decodes 8-bit JPEG only; this frame is ${header.precision}-bit.`);
  const bytes = await runDecoder('turbo', (m) => new m.JPEGDecoder(), encoded, geometry, 'JPEG');
  // libjpeg-turbo converts YCbCr to RGB itself, as DCMTK and GDCM do for lossy JPEG.
  return { samples: bytesToSamples(bytes, geometry, 8), layout: 'interleaved', rgb: geometry.samplesPerPixel === 3 };
};

export const decodeJpegLs: FrameCodec = async (encoded, geometry) => {
  const header = readJpegFrameHeader(encoded);
  checkHeader(header, geometry);
  const bytes = await runDecoder('charls', (m) => new m.JpegLSDecoder(), encoded, geometry, 'JPEG-LS');
  return { samples: bytesToSamples(bytes, geometry, header.precision), layout: 'interleaved', rgb: false };
};

export const decodeJpeg2000: FrameCodec = async (encoded, geometry) => {
  const header = readJ2kSize(encoded);
  checkHeader(header, geometry);
  const bytes = await runDecoder('openjpeg', (m) => new m.J2KDecoder(), encoded, geometry, 'JPEG 2000');
  const samples = bytesToSamples(bytes, geometry, header.precision);
  // OpenJPEG undoes the multi-component transform (YBR_RCT / YBR_ICT), so colour comes out as RGB.
  return { samples, layout: 'interleaved', rgb: geometry.samplesPerPixel === 3 };
};
