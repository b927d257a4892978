/**
 * Every GPU program's uniforms (shapes, strides, sizes, constants) packed into a few shared GPU
 * buffers, written once per submit, in place of a buffer and a `queue.writeBuffer` per program.
 *
 * tfjs-backend-webgpu 4.22 gives each program its own uniform buffer from its pool and writes it
 * with its own `writeBuffer` call (makeUniforms). On a GPU a training step of a small model is
 * bound by recording programs on the JavaScript thread (an H100 ran 13 ms of kernels in a 34 ms
 * U-Net step), and that call into Dawn was a fifth of recording a program. Here a program's
 * uniforms take a slot of a chunk, aligned as WebGPU asks of a uniform binding's offset, and the
 * chunks written so far go to the GPU in one call each just before the commands that read them
 * are submitted. The queue runs writes and submits in order, so reusing the chunks for the next
 * submit's programs cannot change what an earlier one reads (the same argument tfjs relies on
 * when it hands a uniform buffer back to its pool at each submit).
 *
 * The field layout is tfjs's (WGSL's alignment of its generated Uniforms struct), field by field.
 */

/** One uniform field as tfjs describes it: up to six numbers of one type. */
export interface UniformField {
  type: string;
  data: number[];
}

/** Bytes per chunk: WebGPU's guaranteed maxUniformBufferBindingSize, far more than a submit's programs need. */
const CHUNK_BYTES = 65536;

/** A field's number type, as the views below write it. */
export const FLOAT32 = 0;
export const INT32 = 1;
export const UINT32 = 2;
export type FieldType = typeof FLOAT32 | typeof INT32 | typeof UINT32;
const ONE = [1];

interface Views {
  u8: Uint8Array;
  f32: Float32Array;
  i32: Int32Array;
  u32: Uint32Array;
}

function views(bytes: ArrayBuffer): Views {
  return {
    u8: new Uint8Array(bytes),
    f32: new Float32Array(bytes),
    i32: new Int32Array(bytes),
    u32: new Uint32Array(bytes),
  };
}

/** A GPU buffer of CHUNK_BYTES and the bytes it will be written from. */
interface Chunk {
  buffer: GPUBuffer;
  bytes: ArrayBuffer;
  u8: Uint8Array;
}

/** A field's number type from tfjs's name of it ('int32', 'uint32', else float32). */
export function fieldType(type: string): FieldType {
  return type === 'int32' ? INT32 : type === 'uint32' ? UINT32 : FLOAT32;
}

/** WGSL's alignment of a field of `length` numbers after one of `previousLength`, as tfjs lays them out. */
function alignmentOf(length: number, previousLength: number): number {
  if (length < 1 || length > 6) throw new Error(`Unsupported ${length}D shape`);
  if (previousLength === 5 || previousLength === 6) return 16;
  return length === 1 ? 4 : length === 2 ? 8 : 16;
}

export class UniformArena {
  private readonly chunks: Chunk[] = [];
  /** The chunk being filled, and the bytes used in each chunk since the last flush. */
  private current = 0;
  private readonly used: number[] = [];
  /** WebGPU's minUniformBufferOffsetAlignment for this device (256 unless the adapter allows less). */
  private readonly offsetAlignment: number;
  /** The program being packed: its fields, laid out from byte 0, before they go to a slot. */
  private readonly scratch = views(new ArrayBuffer(CHUNK_BYTES));
  private size = 0;
  private previousLength = 0;
  private maxAlignment = 1;

  constructor(private readonly device: GPUDevice) {
    this.offsetAlignment = device.limits.minUniformBufferOffsetAlignment;
  }

  /** Packs `fields` (tfjs's makeUniforms argument) into a slot, returned as a uniform binding. */
  pack(fields: readonly UniformField[]): GPUBufferBinding {
    this.begin();
    for (const { type, data } of fields) this.add(fieldType(type), data);
    return this.end();
  }

  /** Starts a program's uniforms; `add` the fields in the struct's order, then `end`. */
  begin(): void {
    this.size = 0;
    this.previousLength = 0;
    this.maxAlignment = 1;
  }

  /** The next field: `data` (an empty field holds [1], as tfjs makes it). */
  add(type: FieldType, data: ArrayLike<number>): void {
    const length = data.length || 1;
    const at = this.field(length) / 4;
    const view = type === INT32 ? this.scratch.i32 : type === UINT32 ? this.scratch.u32 : this.scratch.f32;
    if (data.length === 0) view[at] = 1;
    else for (let k = 0; k < length; k++) view[at + k] = data[k]!;
  }

  /** The next field: the strides of `shape` as int32 (tfjs's util.computeStrides), [1] below rank 2. */
  addStrides(shape: readonly number[]): void {
    const rank = shape.length;
    if (rank < 2) return this.add(INT32, ONE);
    const at = this.field(rank - 1) / 4;
    const view = this.scratch.i32;
    let stride = 1;
    for (let k = rank - 2; k >= 0; k--) {
      stride *= shape[k + 1]!;
      view[at + k] = stride;
    }
  }

  /** Ends the program's uniforms: copies them into a slot, returned as a uniform binding. */
  end(): GPUBufferBinding {
    const size = Math.ceil(this.size / this.maxAlignment) * this.maxAlignment;
    this.pad(size);
    const { chunk, offset } = this.slot(size);
    chunk.u8.set(this.scratch.u8.subarray(0, size), offset);
    return { buffer: chunk.buffer, offset, size };
  }

  /** Zeroes the padding from the last field's end to byte `to`, as tfjs's fresh buffer holds. */
  private pad(to: number): void {
    for (let at = this.size / 4; at < to / 4; at++) this.scratch.i32[at] = 0;
  }

  /** Reserves a field of `length` numbers at WGSL's alignment; returns its byte offset. */
  private field(length: number): number {
    const alignment = alignmentOf(length, this.previousLength);
    if (alignment > this.maxAlignment) this.maxAlignment = alignment;
    const offset = Math.ceil(this.size / alignment) * alignment;
    this.pad(offset);
    this.previousLength = length;
    this.size = offset + length * 4;
    if (this.size > CHUNK_BYTES) throw new Error(`A program's uniforms take over ${CHUNK_BYTES} bytes.`);
    return offset;
  }

  /** Sends the slots packed since the last flush; call just before submitting the commands that read them. */
  flush(queue: GPUQueue): void {
    for (let i = 0; i < this.chunks.length; i++) {
      const bytes = this.used[i]!;
      if (bytes > 0) queue.writeBuffer(this.chunks[i]!.buffer, 0, this.chunks[i]!.bytes, 0, bytes);
      this.used[i] = 0;
    }
    this.current = 0;
  }

  /** Frees the GPU buffers (the backend is being disposed). */
  destroy(): void {
    for (const chunk of this.chunks) chunk.buffer.destroy();
    this.chunks.length = 0;
    this.used.length = 0;
    this.current = 0;
  }

  private slot(size: number): { chunk: Chunk; offset: number } {
    if (this.current >= this.chunks.length) this.addChunk();
    const used = this.used[this.current]!;
    let offset = Math.ceil(used / this.offsetAlignment) * this.offsetAlignment;
    if (offset + size > CHUNK_BYTES) {
      this.current++;
      offset = 0;
      if (this.current >= this.chunks.length) this.addChunk();
    } else {
      // The gap before the slot is sent too: zeros, so that the same programs send the same bytes
      // (a captured step is replayed only when they do, step-capture.ts).
      this.chunks[this.current]!.u8.fill(0, used, offset);
    }
    this.used[this.current] = offset + size;
    return { chunk: this.chunks[this.current]!, offset };
  }

  private addChunk(): void {
    this.used.push(0);
    const bytes = new ArrayBuffer(CHUNK_BYTES);
    this.chunks.push({
      buffer: this.device.createBuffer({ size: CHUNK_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
      bytes,
      u8: new Uint8Array(bytes),
    });
  }
}
