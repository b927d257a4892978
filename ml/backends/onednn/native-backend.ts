/**
 * The `onednn` backend's tensor storage: every tensor is a typed array in the process's own
 * memory, outside tfjs's WebAssembly heap, so training is bounded by the machine's memory and not
 * by wasm32's 4 GiB. The native kernels (native-kernel.ts) hand these arrays to the addon as they
 * are; an op the addon lacks runs on the wasm backend with a copy each way (wasm-fallback.ts).
 *
 * Freed buffers are kept for the next tensor of the same byte size (`BufferPool`): a training
 * step allocates the same shapes every step, and a fresh buffer would cost the kernel's page
 * faults and leave V8 to collect the old one. Like the wasm heap, a reused buffer is not zeroed:
 * a kernel writes all of its output.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { Info } from '../wasm-kernels/wasm-calls';
import type { TypedArray } from './addon';

/** tfjs's name of the backend. */
export const ONEDNN_TFJS_NAME = 'onednn';

/** The most bytes of freed buffers kept for reuse; beyond it, freed buffers are left to V8. */
const POOL_BYTES = 1024 * 2 ** 20;

/** Environment variable capping the tensors the backend holds at once, in GiB. */
export const TENSOR_MEMORY_ENV = 'LOUPE_TENSOR_MEMORY_GIB';

/** Of the machine's memory (or the container's limit), the share tensors may take by default. */
const DEFAULT_SHARE = 0.75;

/**
 * The most bytes of tensors the backend holds at once: LOUPE_TENSOR_MEMORY_GIB, else three
 * quarters of the machine's (or the container's) memory, so that a model too big for the machine
 * fails one call in plain words instead of swapping, or of the system killing the engine.
 */
function tensorMemoryLimit(): number {
  const asked = Number(process.env[TENSOR_MEMORY_ENV]);
  if (asked > 0) return asked * 2 ** 30;
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = constrained > 0 ? Math.min(constrained, os.totalmem()) : os.totalmem();
  return Math.floor(total * DEFAULT_SHARE);
}

/** A tensor that would take the backend past its memory limit; nothing was allocated. */
export class TensorMemoryExhausted extends Error {
  constructor(
    readonly requestedBytes: number,
    readonly limitBytes: number,
  ) {
    super(`A tensor of ${requestedBytes} bytes would take the oneDNN backend past its ${limitBytes} bytes.`);
    this.name = 'TensorMemoryExhausted';
  }
}

type Values = tf.backend_util.BackendValues;
interface Stored {
  values: Values;
  dtype: tf.DataType;
  refCount: number;
}

/** The most freed buffers of one size kept: a step frees dozens of same-shaped activations at once. */
const PER_SIZE = 64;

/**
 * Freed ArrayBuffers by byte length, up to `capacity` bytes in all and PER_SIZE of each size. The
 * second bound matters for buffers that came from elsewhere (another backend's, a fallback's
 * output): nothing takes their size again, and they would otherwise pile up.
 */
class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private held = 0;

  constructor(private readonly capacity: number) {}

  /** A buffer of `bytes` bytes: a freed one of that size, else a new (zeroed) one. */
  take(bytes: number): ArrayBuffer {
    const buffer = this.free.get(bytes)?.pop();
    if (!buffer) return new ArrayBuffer(bytes);
    this.held -= bytes;
    return buffer;
  }

  /** Keeps `buffer` for reuse while the pool has room; the caller must not touch it again. */
  give(buffer: ArrayBuffer): void {
    const bytes = buffer.byteLength;
    if (bytes === 0 || this.held + bytes > this.capacity) return;
    const list = this.free.get(bytes);
    if (list && list.length >= PER_SIZE) return;
    if (list) list.push(buffer);
    else this.free.set(bytes, [buffer]);
    this.held += bytes;
  }

  /** Bytes kept for reuse. */
  get bytes(): number {
    return this.held;
  }

  clear(): void {
    this.free.clear();
    this.held = 0;
  }
}

function arrayOf(dtype: tf.DataType, buffer: ArrayBuffer): TypedArray {
  if (dtype === 'float32') return new Float32Array(buffer);
  if (dtype === 'int32') return new Int32Array(buffer);
  return new Uint8Array(buffer);
}

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

function isTypedArray(values: Values): values is TypedArray {
  return ArrayBuffer.isView(values);
}

/** Bytes of a tensor's values (strings: the bytes of each). */
function byteSize(values: Values): number {
  if (isTypedArray(values)) return values.byteLength;
  return (values as Uint8Array[]).reduce((n, v) => n + (v?.length ?? 0), 0);
}

/** A copy of `values` in a buffer of its own (strings and arrays of bytes are kept as given). */
function ownCopy(values: Values): Values {
  return isTypedArray(values) ? values.slice() : values;
}

export class OneDnnBackend extends tf.KernelBackend {
  private readonly data = new tf.DataStorage<Stored>(this, tf.engine());
  private readonly pool = new BufferPool(POOL_BYTES);
  private readonly limit = tensorMemoryLimit();
  /** Bytes of the tensors held now (not counting the pool's). */
  private live = 0;
  private nextId = 0;

  /** An uninitialised output tensor of `shape`, registered with refCount 1. */
  makeOutput(shape: number[], dtype: tf.DataType): Info {
    const perElement = BYTES[dtype];
    if (perElement === undefined) throw new Error(`The oneDNN backend has no ${dtype} tensors.`);
    const bytes = tf.util.sizeFromShape(shape) * perElement;
    this.reserve(bytes);
    const values = arrayOf(dtype, this.pool.take(bytes));
    return { dataId: this.store(values, dtype), shape, dtype };
  }

  /** The tensor's values in place, typed by its dtype: what the addon reads and writes. */
  view(info: Info): TypedArray {
    const { values } = this.data.get(info.dataId);
    if (!isTypedArray(values)) throw new Error(`A ${info.dtype} tensor has no typed values for the oneDNN addon.`);
    return values;
  }

  /** A float32 tensor's values in place. */
  floats(info: Info): Float32Array {
    return this.view(info) as Float32Array;
  }

  /** The tensor's values as stored (no copy), for the wasm fallback to copy onto its heap. */
  stored(dataId: tf.DataId): Values {
    return this.data.get(dataId).values;
  }

  /** Stores `values` as they are (no copy): the caller hands them over. */
  adopt(values: Values, dtype: tf.DataType): tf.DataId {
    return this.store(values, dtype);
  }

  /** Makes room for `bytes` more: the pool goes first, then the call fails before allocating. */
  private reserve(bytes: number): void {
    if (this.live + this.pool.bytes + bytes <= this.limit) return;
    this.pool.clear();
    if (this.live + bytes > this.limit) throw new TensorMemoryExhausted(bytes, this.limit);
  }

  /** Registers `values` as a new tensor, held once. */
  private store(values: Values, dtype: tf.DataType): tf.DataId {
    const dataId = { id: this.nextId++ };
    this.data.set(dataId, { values, dtype, refCount: 1 });
    this.live += byteSize(values);
    return dataId;
  }

  // tfjs's own tensors (tf.tensor(values)) keep the caller's array: store a copy, as wasm does.
  override write(values: Values | null, shape: number[], dtype: tf.DataType): tf.DataId {
    if (values === null) return this.makeOutput(shape, dtype).dataId;
    if (!isTypedArray(values) || BYTES[dtype] === undefined) {
      this.reserve(byteSize(values));
      return this.store(ownCopy(values), dtype);
    }
    const out = this.makeOutput(shape, dtype);
    (this.view(out) as Float32Array).set(values as Float32Array);
    return out.dataId;
  }

  // The engine moves a tensor here from another backend with values that backend gave up.
  override move(dataId: tf.DataId, values: Values, _shape: number[], dtype: tf.DataType, refCount: number): void {
    this.data.set(dataId, { values, dtype, refCount });
    this.live += byteSize(values);
  }

  // A copy, as the wasm backend reads: the buffer is written in place (Adam) and reused once freed.
  override readSync(dataId: tf.DataId): Values {
    return ownCopy(this.data.get(dataId).values);
  }

  override read(dataId: tf.DataId): Promise<Values> {
    return Promise.resolve(this.readSync(dataId));
  }

  override refCount(dataId: tf.DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: tf.DataId): void {
    this.data.get(dataId).refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const stored = this.data.get(dataId);
    stored.refCount--;
    if (!force && stored.refCount > 0) return false;
    this.data.delete(dataId);
    const { values } = stored;
    this.live -= byteSize(values);
    if (isTypedArray(values) && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength)
      this.pool.give(values.buffer as ArrayBuffer);
    return true;
  }

  override memory(): { unreliable: boolean; reasons?: string[]; pooledBytes: number; limitBytes: number } {
    return { unreliable: false, pooledBytes: this.pool.bytes, limitBytes: this.limit };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override time(f: () => void): Promise<tf.BackendTimingInfo> {
    const start = tf.util.now();
    f();
    return Promise.resolve({ kernelMs: tf.util.now() - start });
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override dispose(): void {
    this.pool.clear();
  }
}
