/**
 * Records every WebGPU command that a piece of tfjs work issues (a training step's forward pass,
 * loss and backward pass), so that step-replay.ts can issue the same commands again without
 * tfjs: what CUDA graphs do for PyTorch.
 *
 * On a GPU a training step of a small model is bound by JavaScript, not by the GPU: an H100 ran
 * 13 ms of kernels in a 34 ms U-Net step, the rest being tfjs's engine (autodiff, shapes, buffer
 * pool) and recording each program. The commands of one step are the same from step to step when
 * the shapes are: the same pipelines, grids and uniforms, on buffers in the same roles.
 *
 * The recording sits on the GPU API itself (the device, its queue, the command encoders made
 * during the work), so it sees what tfjs and Loupe's own programs record alike. Work that cannot
 * be replayed is refused with a reason, and runs as it would have: a read of values (back from the
 * GPU or cached on the CPU), a timestamp query (tf.profile), a texture, a program that writes a
 * tensor in place, dynamic offsets.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { inPlaceWrites } from './multi-output';
import type { Recorder } from './recording';

export interface BufferBinding {
  binding: number;
  buffer: GPUBuffer;
  offset: number;
  size: number | undefined;
}

export interface BindGroupRecord {
  layout: GPUBindGroupLayout;
  entries: BufferBinding[];
}

/**
 * A recorded command. Compute passes are not recorded: each dispatch is a synchronisation scope of
 * its own in WebGPU, so where a pass ends changes nothing, and tfjs ends one for an upload only
 * when its buffer was not fresh from the device (a pool's state, not the step's).
 */
export type Command =
  | { kind: 'pipeline'; pipeline: GPUComputePipeline }
  | { kind: 'bind'; index: number; group: BindGroupRecord }
  | { kind: 'dispatch'; grid: [number, number, number] }
  | { kind: 'clear'; buffer: GPUBuffer; offset: number; size: number | undefined }
  | { kind: 'copy'; from: GPUBuffer; fromOffset: number; to: GPUBuffer; toOffset: number; size: number }
  /** A queue write, or a tensor's upload (which tfjs makes through a mapped buffer). */
  | { kind: 'write'; buffer: GPUBuffer; offset: number; bytes: Uint8Array }
  | { kind: 'submit' };

export interface Capture {
  commands: Command[];
  /** Buffers the work took from tfjs's pool or made: their first contents are the work's own. */
  allocated: Set<GPUBuffer>;
}

export type Captured<T> = { result: T; capture: Capture } | { result: T; refused: string };

/** The backend fields the recording hooks, beyond recording.ts's. */
interface Hooked extends Recorder {
  bufferManager: { acquireBuffer(size: number, usage: number, mapped?: boolean, reuse?: boolean): GPUBuffer };
}

type Methods = Record<string, (...args: never[]) => unknown>;

/** Replaces `name` on `target` (an own property), returning the original; `restore` puts it back. */
function hook(target: object, name: string, make: (original: (...args: unknown[]) => unknown) => unknown): () => void {
  const methods = target as Methods;
  const original = methods[name]!.bind(target) as (...args: unknown[]) => unknown;
  const hadOwn = Object.hasOwn(target, name);
  const own = methods[name];
  (target as Record<string, unknown>)[name] = make(original);
  return () => {
    if (hadOwn) (target as Record<string, unknown>)[name] = own;
    else delete (target as Record<string, unknown>)[name];
  };
}

/** Submits what tfjs has recorded and not yet submitted (its open compute pass ended first). */
export function submitPending(backend: Recorder): void {
  backend.endComputePassEncoder();
  if (backend.commandEncoder) backend.submitQueue();
}

function bytesOf(data: ArrayBuffer | ArrayBufferView | ArrayLike<number>, dataOffset = 0, size?: number): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    const element =
      'BYTES_PER_ELEMENT' in data ? (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
    const start = data.byteOffset + dataOffset * element;
    const length = size === undefined ? data.byteLength - dataOffset * element : size * element;
    return new Uint8Array(data.buffer.slice(start, start + length));
  }
  const bytes = new Uint8Array(data as ArrayBuffer);
  return bytes.slice(dataOffset, size === undefined ? undefined : dataOffset + size);
}

/**
 * Runs `work` with every GPU command it issues recorded. Commands tfjs had recorded before are
 * submitted first, and the work's last commands are submitted at its end, so the capture holds
 * whole command buffers. The work runs as it would have either way.
 */
export function captureCommands<T>(webgpu: WebGPUBackend, work: () => T): Captured<T> {
  const backend = webgpu as unknown as Hooked;
  submitPending(backend);
  const commands: Command[] = [];
  const allocated = new Set<GPUBuffer>();
  const groups = new WeakMap<GPUBindGroup, BindGroupRecord>();
  let refused: string | null = null;
  const refuse = (reason: string) => void (refused ??= reason);
  const use = (buffer: GPUBuffer) => {
    if (buffer.usage & (GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE)) refuse('it maps a buffer');
  };
  // A buffer the step takes from the pool may have held one of its inputs (a moving average the step
  // replaced): the replay fills inputs first and runs the same commands, so it holds them in turn too.
  const take = (buffer: GPUBuffer) => {
    allocated.add(buffer);
    return buffer;
  };
  const inPlaceBefore = inPlaceWrites.count;

  const passHooks = (pass: GPUComputePassEncoder) => {
    hook(pass, 'setPipeline', (f) => (pipeline: GPUComputePipeline) => {
      commands.push({ kind: 'pipeline', pipeline });
      return f(pipeline);
    });
    hook(pass, 'setBindGroup', (f) => (index: number, group: GPUBindGroup, offsets?: unknown) => {
      const record = groups.get(group);
      if (!record) refuse('a bind group made before the step');
      else if (offsets !== undefined && (offsets as ArrayLike<number>).length > 0) refuse('dynamic offsets');
      else commands.push({ kind: 'bind', index, group: record });
      return f(index, group, offsets);
    });
    hook(pass, 'dispatchWorkgroups', (f) => (x: number, y = 1, z = 1) => {
      commands.push({ kind: 'dispatch', grid: [x, y, z] });
      return f(x, y, z);
    });
    hook(
      pass,
      'dispatchWorkgroupsIndirect',
      (f) =>
        (...args: unknown[]) => (refuse('an indirect dispatch'), f(...args)),
    );
  };
  const encoderHooks = (encoder: GPUCommandEncoder) => {
    hook(encoder, 'beginComputePass', (f) => (descriptor?: GPUComputePassDescriptor) => {
      if (descriptor?.timestampWrites) refuse('timestamp queries (tf.profile)');
      const pass = f(descriptor) as GPUComputePassEncoder;
      passHooks(pass);
      return pass;
    });
    hook(encoder, 'clearBuffer', (f) => (buffer: GPUBuffer, offset = 0, size?: number) => {
      use(buffer);
      commands.push({ kind: 'clear', buffer, offset, size });
      return f(buffer, offset, size);
    });
    hook(encoder, 'copyBufferToBuffer', (f) => (...args: unknown[]) => {
      const [from, fromOffset, to, toOffset, size] = args as [GPUBuffer, number, GPUBuffer, number, number];
      // An upload's staging copy: the upload is recorded as a write (uploadToGPU below).
      if (!(from.usage & GPUBufferUsage.MAP_WRITE)) {
        use(from);
        use(to);
        commands.push({ kind: 'copy', from, fromOffset, to, toOffset, size });
      }
      return f(...args);
    });
    for (const name of [
      'beginRenderPass',
      'copyBufferToTexture',
      'copyTextureToBuffer',
      'copyTextureToTexture',
      'resolveQuerySet',
      'writeTimestamp',
    ])
      if (name in encoder)
        hook(
          encoder,
          name,
          (f) =>
            (...args: unknown[]) => (refuse(`the command ${name}`), f(...args)),
        );
  };

  const device = backend.device;
  const queue = backend.queue;
  const restores = [
    hook(device, 'createCommandEncoder', (f) => (descriptor?: GPUCommandEncoderDescriptor) => {
      const encoder = f(descriptor) as GPUCommandEncoder;
      encoderHooks(encoder);
      return encoder;
    }),
    hook(device, 'createBindGroup', (f) => (descriptor: GPUBindGroupDescriptor) => {
      const group = f(descriptor) as GPUBindGroup;
      const entries: BufferBinding[] = [];
      for (const entry of descriptor.entries) {
        const resource = entry.resource as Partial<GPUBufferBinding>;
        if (!resource.buffer) {
          refuse('a binding that is not a buffer');
          continue;
        }
        use(resource.buffer);
        entries.push({
          binding: entry.binding,
          buffer: resource.buffer,
          offset: resource.offset ?? 0,
          size: resource.size,
        });
      }
      groups.set(group, { layout: descriptor.layout as GPUBindGroupLayout, entries });
      return group;
    }),
    hook(device, 'createBuffer', (f) => (descriptor: GPUBufferDescriptor) => take(f(descriptor) as GPUBuffer)),
    hook(
      backend.bufferManager,
      'acquireBuffer',
      (f) =>
        (...args: unknown[]) =>
          take(f(...args) as GPUBuffer),
    ),
    hook(queue, 'writeBuffer', (f) => (...args: unknown[]) => {
      const [buffer, offset, data, dataOffset, size] = args as [
        GPUBuffer,
        number,
        ArrayBuffer | ArrayBufferView,
        number?,
        number?,
      ];
      use(buffer);
      commands.push({ kind: 'write', buffer, offset, bytes: bytesOf(data, dataOffset, size) });
      return f(...args);
    }),
    hook(queue, 'submit', (f) => (buffers: GPUCommandBuffer[]) => (commands.push({ kind: 'submit' }), f(buffers))),
    // JavaScript that reads values in the step (even values cached on the CPU) may act on the batch.
    ...['read', 'readSync', 'readToGPU'].map((name) =>
      hook(
        backend,
        name,
        (f) =>
          (...args: unknown[]) => (refuse('it reads tensor values'), f(...args)),
      ),
    ),
    hook(backend, 'uploadToGPU', (f) => (dataId: object) => {
      const data = backend.tensorMap.get(dataId) as {
        resource: unknown;
        values: ArrayLike<number> | null;
        dtype: string;
      };
      const values = data.resource === null || data.resource === undefined ? data.values : null;
      const result = f(dataId);
      if (values) {
        const typed =
          data.dtype === 'int32' || data.dtype === 'bool' ? Int32Array.from(values) : Float32Array.from(values);
        const buffer = data.resource as GPUBuffer;
        use(buffer);
        commands.push({ kind: 'write', buffer, offset: 0, bytes: new Uint8Array(typed.buffer) });
      }
      return result;
    }),
  ];
  let result: T;
  try {
    result = work();
    submitPending(backend);
  } finally {
    for (const restore of restores.reverse()) restore();
  }
  if (inPlaceWrites.count !== inPlaceBefore) refuse('a program wrote a tensor in place');
  return refused === null ? { result, capture: { commands, allocated } } : { result, refused };
}
