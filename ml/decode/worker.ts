/**
 * Entry of a decode worker (worker_threads, built as out/main/decode-worker.js). Decoding runs
 * here, off the host's event loop; the pool in main terminates a worker that runs past the time
 * cap and starts a fresh one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { writeFileAtomic } from '../../base/atomic-write';
import { namedFailure } from './errors';
import { openImage, readImageBytes, readImageBytesSync, type OpenedImage } from './index';
import { renderThumbnail, thumbnailPath } from './thumbnail';
import type { PreprocessingSpec } from '../../contract/index';
import { prepareFrames } from '../data/preprocessing';
import { engineFrame } from './engine-frame';
import type { DecodedFrame } from './types';
import type { FromDecodeWorker, PreparedRead, ToDecodeWorker } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('The decode worker must be started by Loupe.');

const send = (message: FromDecodeWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
/** Files read and hashed, waiting for main to say whether to decode them. */
const waiting = new Map<number, { bytes: Uint8Array; path: string; workspaceRoot: string; sha256: string }>();
/** The last file opened for frames, so scrolling a multi-frame image parses it once. */
let lastOpened: { key: string; image: OpenedImage } | null = null;

/** Every frame as the model takes it (prepareFrames); a frame it cannot take fails the file. */
function prepared(frames: readonly DecodedFrame[], spec: PreprocessingSpec): PreparedRead {
  try {
    return { ...prepareFrames(frames.map(engineFrame), spec), samplesPerPixel: frames.map((f) => f.samplesPerPixel) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writeThumbnail(image: OpenedImage, workspaceRoot: string, sha256: string): Promise<void> {
  const target = thumbnailPath(workspaceRoot, sha256);
  mkdirSync(path.dirname(target), { recursive: true });
  const middle = Math.floor(image.info.frames / 2);
  await writeFileAtomic(target, await renderThumbnail(await image.decodeFrame(middle)));
}

async function openCached(file: string): Promise<OpenedImage> {
  const stat = statSync(file, { throwIfNoEntry: false });
  const key = `${file}\0${stat?.size}\0${stat?.mtimeMs}`;
  if (lastOpened?.key === key) return lastOpened.image;
  const image = await openImage(await readImageBytes(file), path.basename(file));
  lastOpened = { key, image };
  return image;
}

async function handle(message: ToDecodeWorker): Promise<void> {
  switch (message.type) {
    case 'inspect': {
      const bytes = await readImageBytes(message.path);
      const sha256 = sha256Of(bytes);
      waiting.set(message.id, { bytes, path: message.path, workspaceRoot: message.workspaceRoot, sha256 });
      send({ type: 'hashed', id: message.id, sha256, size: bytes.length });
      return;
    }
    case 'proceed': {
      const job = waiting.get(message.id);
      waiting.delete(message.id);
      if (!job || !message.decode) return;
      const image = await openImage(job.bytes, path.basename(job.path));
      await writeThumbnail(image, job.workspaceRoot, job.sha256);
      send({ type: 'inspected', id: message.id, info: image.info });
      return;
    }
    case 'frame': {
      const image = await openCached(message.path);
      const frame = await image.decodeFrame(message.frame);
      const buffer = frame.data.buffer as ArrayBuffer;
      // Transfer the pixels (no copy) unless they are a view into the cached file's bytes.
      const transfer = frame.data.byteLength === buffer.byteLength ? [buffer] : [];
      send({ type: 'frame', id: message.id, frame }, transfer);
      return;
    }
    case 'thumbnail': {
      const image = await openImage(await readImageBytes(message.path), path.basename(message.path));
      await writeThumbnail(image, message.workspaceRoot, message.sha256);
      send({ type: 'done', id: message.id });
      return;
    }
    case 'read': {
      if (message.prepare) await readPrepared(message.id, message.path, message.prepare);
      else await readFrames(message.id, message.path);
      return;
    }
    case 'hash': {
      const bytes = await readImageBytes(message.path);
      send({ type: 'hashed', id: message.id, sha256: sha256Of(bytes), size: bytes.length });
      return;
    }
  }
}

/**
 * File buffers a prepared read reads into again: its bytes, pixels and frames are gone once the
 * model input is sent, so a batch run's next file needs no fresh buffer for the collector to find
 * (a 512² CT slice: half a megabyte). A worker runs one task at a time, so this holds one
 * buffer; a file over SPARE_BYTES gets a buffer of its own, not kept.
 */
const spare: Uint8Array[] = [];
const SPARE_BYTES = 16 * 1024 * 1024;

/** Reads a file's every frame, prepared as `spec` says: only the model input goes back. */
async function readPrepared(id: number, file: string, spec: PreprocessingSpec): Promise<void> {
  let buffer = spare.pop() ?? null;
  try {
    const bytes = readImageBytesSync(file, (size) => {
      if (!buffer || buffer.length < size) buffer = size <= SPARE_BYTES ? new Uint8Array(size) : null;
      return buffer ? buffer.subarray(0, size) : new Uint8Array(size);
    });
    const sha256 = sha256Of(bytes);
    const image = await openImage(bytes, path.basename(file));
    const frames = [];
    // Hashed already, and each frame decoded once: its values may be written over the file's bytes.
    for (let i = 0; i < image.info.frames; i++) frames.push(await image.decodeFrame(i, { overwrite: true }));
    const ready = prepared(frames, spec);
    const base = { type: 'read' as const, id, sha256, size: bytes.length, info: image.info, frames: [] };
    send({ ...base, prepared: ready }, 'input' in ready ? [ready.input.buffer] : []);
  } finally {
    if (buffer) spare.push(buffer);
  }
}

/** Reads a file's every frame, pixels and all. */
async function readFrames(id: number, file: string): Promise<void> {
  const bytes = await readImageBytes(file);
  const sha256 = sha256Of(bytes);
  const image = await openImage(bytes, path.basename(file));
  const frames = [];
  for (let i = 0; i < image.info.frames; i++) frames.push(await image.decodeFrame(i));
  // Pixels that are views into the file's bytes share one buffer: transfer each buffer once.
  const buffers = new Set(frames.map((f) => f.data.buffer as ArrayBuffer));
  send({ type: 'read', id, sha256, size: bytes.length, info: image.info, frames }, [...buffers]);
}

/**
 * Tasks run one at a time, in the order they came: the pool may send the next while this one
 * runs (decode-pool.ts), and a task that hangs or kills the worker must be the one it blames.
 * "proceed" is the second half of the inspect in hand (the pool queues nothing behind an inspect),
 * so it runs at once.
 */
let running: Promise<void> = Promise.resolve();
port.on('message', (message: ToDecodeWorker) => {
  if (message.type === 'proceed') void run(message);
  else running = running.then(() => run(message));
});

async function run(message: ToDecodeWorker): Promise<void> {
  await handle(message).catch((error: unknown) => {
    waiting.delete(message.id);
    const named = namedFailure(error);
    if (named) send({ type: 'failed', id: message.id, failure: named.failure, message: named.message });
    else {
      console.error('[decode worker]', error);
      send({
        type: 'failed',
        id: message.id,
        failure: 'internal',
        message: 'Loupe failed to read this file because of an internal error; the details are in the log.',
      });
    }
  });
}
