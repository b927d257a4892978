/**
 * The Cornerstone WASM codecs: libjpeg-turbo (JPEG baseline 8-bit), CharLS (JPEG-LS) and
 * OpenJPEG (JPEG 2000). Each module is loaded once per thread on first use. An Emscripten module
 * that aborted may be left in a broken state, so after any failure its instance is dropped and
 * the next frame gets a fresh one.
 */
import { readFile } from 'node:fs/promises';
import { DecodeError, asDecodeError } from '../errors';
import { followPhotometric } from './jpeg-colour';
import { expectSize, readJ2kSize, readJpegFrameHeader, type CodestreamSize } from './headers';
import type { CodecOutput, FrameCodec, FrameGeometry } from './types';

type Loader = () => Promise<CodecModule>;

/**
 * The settings object an Emscripten factory is called with becomes that instance's `Module`:
 * embind registers the decoder classes on it and refuses a name it already holds ("Cannot
 * register public name 'J2KDecoder' twice"). So every instance gets a fresh object; a shared one
 * made the instance created after a failure unusable, and every later file failed with it.
 * OpenJPEG logs every header it reads to stdout; that would corrupt `loupe decode --json` and
 * fill logs, hence the silent print functions.
 *
 * Re-creating an instance compiles its WASM again (25–50 ms); the first instance notes where its
 * .wasm file is, and later ones are instantiated from that file compiled once.
 */
interface CompiledCodec {
  wasmFile?: string;
  compiled?: Promise<object> | undefined;
}

/** The part of the WebAssembly API used here (the node tsconfig has no DOM lib to type it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const compiledCodecs = new Map<CodecName, CompiledCodec>();

function settingsFor(name: CodecName): object {
  const known = compiledCodecs.get(name) ?? {};
  compiledCodecs.set(name, known);
  const settings: Record<string, unknown> = {
    print: () => {},
    printErr: () => {},
    locateFile: (file: string, directory: string) => {
      const full = directory + file;
      if (file.endsWith('.wasm')) known.wasmFile = full;
      return full;
    },
  };
  const compiled = known.compiled;
  if (compiled) {
    settings.instantiateWasm = (imports: object, receive: (instance: object, module: object) => void) => {
      void compiled.then(async (module) => receive(await wasm.instantiate(module, imports), module));
      return {};
    };
  }
  return settings;
}

/** After an instance started: compile its .wasm once for the instances that replace it. */
function rememberCompiled(name: CodecName): void {
  const known = compiledCodecs.get(name);
  if (!known || known.compiled || !known.wasmFile) return;
  const compiling = readFile(known.wasmFile).then((bytes) => wasm.compile(bytes));
  known.compiled = compiling;
  // Without the compiled module, instances start as the first one did.
  compiling.catch(() => {
    if (known.compiled === compiling) known.compiled = undefined;
  });
}

const loaders = {
  turbo: async () =>
    (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(settingsFor('turbo')),
  charls: async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(settingsFor('charls')),
  openjpeg: async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(settingsFor('openjpeg')),
} satisfies Record<string, Loader>;

type CodecName = 'turbo' | 'charls' | 'openjpeg';
/** One module instance per codec, created on first use; `module` is set once it has started. */
interface Slot {
  loading: Promise<CodecModule>;
  module?: CodecModule;
}
const instances = new Map<CodecName, Slot>();

function moduleFor(name: CodecName): Promise<CodecModule> {
  const existing = instances.get(name);
  if (existing) return existing.loading;
  const slot: Slot = { loading: loaders[name]() };
  instances.set(name, slot);
  slot.loading.then(
    (module) => {
      slot.module = module;
      rememberCompiled(name);
    },
    // A module that failed to start is not kept: the next frame tries again.
    () => {
      if (instances.get(name) === slot) instances.delete(name);
    },
  );
  return slot.loading;
}

/** Drops a module instance after a failure (unless a newer one already replaced it), so the next frame gets a fresh one. */
function forget(name: CodecName, module: CodecModule): void {
  const slot = instances.get(name);
  if (slot?.module === module) instances.delete(name);
}

async function runDecoder(
  name: CodecName,
  make: (module: CodecModule) => CodecDecoder,
  encoded: Uint8Array,
  geometry: FrameGeometry,
  label: string,
): Promise<Uint8Array> {
  let module: CodecModule;
  try {
    module = await moduleFor(name);
  } catch (error) {
    throw asDecodeError(error, 'unsupported', `The ${label} decoder could not start`);
  }
  let decoder: CodecDecoder | null = null;
  try {
    decoder = make(module);
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (
      info.width !== geometry.columns ||
      info.height !== geometry.rows ||
      info.componentCount !== geometry.samplesPerPixel
    ) {
      throw new DecodeError(
        'corrupt-pixels',
        `The ${label} codec decoded a ${info.width}×${info.height} image where the header promised ${geometry.columns}×${geometry.rows}.`,
      );
    }
    const out = decoder.getDecodedBuffer();
    // Copy out of the WASM heap: the view dies with the decoder.
    return out.slice();
  } catch (error) {
    forget(name, module);
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
  if (typeof error !== 'number') return error;
  try {
    // Newer Emscripten returns [type, message]; older returns the message.
    const message: unknown = module.getExceptionMessage?.(error);
    const text = Array.isArray(message) ? message.filter((part) => typeof part === 'string' && part).at(-1) : message;
    if (typeof text === 'string' && text) return text;
  } catch {
    // Fall through to the plain description: the pointer alone means nothing to a user.
  }
  return 'the decoder stopped on data it could not read';
}

function bytesToSamples(bytes: Uint8Array, geometry: FrameGeometry, precision: number): Uint8Array | Uint16Array {
  const expected = geometry.rows * geometry.columns * geometry.samplesPerPixel;
  const bytesPerSample = precision > 8 ? 2 : 1;
  if (bytes.length !== expected * bytesPerSample) {
    throw new DecodeError(
      'corrupt-pixels',
      `The codec returned ${bytes.length} bytes where ${expected * bytesPerSample} were expected.`,
    );
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
  if (header.precision !== 8)
    throw new DecodeError(
      'corrupt-pixels',
      `libjpeg-turbo decodes 8-bit JPEG only; this frame is ${header.precision}-bit.`,
    );
  const stream =
    geometry.samplesPerPixel === 3 ? followPhotometric(encoded, geometry.sourcePhotometricInterpretation) : encoded;
  const bytes = await runDecoder('turbo', (m) => new m.JPEGDecoder(), stream, geometry, 'JPEG');
  // libjpeg-turbo converts YCbCr to RGB itself (unless the stream is RGB), as DCMTK and GDCM do for lossy JPEG.
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
