/**
 * Issues a captured step's commands again (step-capture.ts) without tfjs: the same pipelines,
 * bind groups, grids, uniform writes and submits, on buffers the replay owns (a mirror of each
 * buffer the capture used). Each run copies the step's inputs (the batch, the variables as they
 * are now) into their mirrors first, and its outputs (loss, outputs, gradients) are copied into
 * new tfjs tensors after, so nothing tfjs hands out again can be overwritten by a replay.
 *
 * A capture is replayed only when two captures of consecutive steps issued the same commands
 * (step-match.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { submitPending, type BindGroupRecord, type Capture } from './step-capture';
import { usedBuffers } from './step-match';
import type { Recorder } from './recording';

/** Most bytes of mirrors a replay may hold: a larger step runs through tfjs. */
export const REPLAY_MAX_BYTES = 2 * 1024 ** 3;

export class StepReplay {
  private readonly mirrors = new Map<GPUBuffer, GPUBuffer>();
  private readonly groups = new Map<BindGroupRecord, GPUBindGroup>();
  private readonly device: GPUDevice;

  /**
   * `inputs`: the capture's buffers that each run fills from the step's own (in run's order);
   * `outputs`: those each run returns. Every other buffer the capture read but did not allocate
   * (a constant kept across steps, the uniform arena) is copied once, now.
   */
  constructor(
    private readonly webgpu: WebGPUBackend,
    private readonly capture: Capture,
    private readonly inputs: readonly GPUBuffer[],
    private readonly outputs: readonly GPUBuffer[],
  ) {
    const backend = webgpu as unknown as Recorder;
    this.device = backend.device;
    const used = new Set<GPUBuffer>([...inputs, ...outputs, ...usedBuffers(capture)]);
    let bytes = 0;
    for (const buffer of used) bytes += buffer.size;
    if (bytes > REPLAY_MAX_BYTES)
      throw new Error(`The step uses ${bytes} bytes of GPU buffers, more than a replay holds.`);
    // tfjs's pool keeps every buffer the step freed; the replay makes its own, so those go first
    // and the GPU holds the step's buffers once, not twice.
    releaseIdleBuffers(webgpu);
    const copy = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const mapping = GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE;
    for (const buffer of used)
      this.mirrors.set(
        buffer,
        this.device.createBuffer({ size: buffer.size, usage: (buffer.usage & ~mapping) | copy }),
      );
    const snapshot = this.device.createCommandEncoder();
    const filled = new Set(inputs);
    const written = new Set(capture.commands.flatMap((c) => (c.kind === 'write' ? [c.buffer] : [])));
    for (const buffer of used) {
      if (capture.allocated.has(buffer) || filled.has(buffer)) continue;
      // The uniform arena's chunks cannot be copied; the capture writes what its programs read of them.
      if (buffer.usage & GPUBufferUsage.COPY_SRC)
        snapshot.copyBufferToBuffer(buffer, 0, this.mirror(buffer), 0, buffer.size);
      else if (!written.has(buffer)) throw new Error('The step reads a buffer that cannot be copied.');
    }
    backend.queue.submit([snapshot.finish()]);
    for (const command of capture.commands)
      if (command.kind === 'bind' && !this.groups.has(command.group)) {
        const { layout, entries } = command.group;
        this.groups.set(
          command.group,
          this.device.createBindGroup({
            layout,
            entries: entries.map((e) => ({
              binding: e.binding,
              resource: {
                buffer: this.mirror(e.buffer),
                offset: e.offset,
                ...(e.size === undefined ? {} : { size: e.size }),
              },
            })),
          }),
        );
      }
  }

  private mirror(buffer: GPUBuffer): GPUBuffer {
    return this.mirrors.get(buffer)!;
  }

  /**
   * Runs the step on `sources` (the step's current buffers for the inputs, in order, and how many
   * bytes of each to take) and returns the mirrors of the outputs, valid until the next run.
   */
  run(sources: readonly { buffer: GPUBuffer; bytes: number }[]): GPUBuffer[] {
    const backend = this.webgpu as unknown as Recorder;
    // What tfjs recorded before (the batch's upload, the last update) runs first.
    submitPending(backend);
    const queue = backend.queue;
    let encoder = this.device.createCommandEncoder();
    sources.forEach(({ buffer, bytes }, i) =>
      encoder.copyBufferToBuffer(buffer, 0, this.mirror(this.inputs[i]!), 0, bytes),
    );
    let pass: GPUComputePassEncoder | null = null;
    const inPass = () => (pass ??= encoder.beginComputePass());
    const outOfPass = () => {
      pass?.end();
      pass = null;
    };
    for (const command of this.capture.commands) {
      switch (command.kind) {
        case 'pipeline':
          inPass().setPipeline(command.pipeline);
          break;
        case 'bind':
          inPass().setBindGroup(command.index, this.groups.get(command.group)!);
          break;
        case 'dispatch':
          inPass().dispatchWorkgroups(...command.grid);
          break;
        case 'clear':
          outOfPass();
          encoder.clearBuffer(this.mirror(command.buffer), command.offset, command.size);
          break;
        case 'copy':
          outOfPass();
          encoder.copyBufferToBuffer(
            this.mirror(command.from),
            command.fromOffset,
            this.mirror(command.to),
            command.toOffset,
            command.size,
          );
          break;
        case 'write':
          queue.writeBuffer(this.mirror(command.buffer), command.offset, command.bytes);
          break;
        case 'submit':
          outOfPass();
          queue.submit([encoder.finish()]);
          encoder = this.device.createCommandEncoder();
          break;
      }
    }
    outOfPass();
    queue.submit([encoder.finish()]);
    return this.outputs.map((buffer) => this.mirror(buffer));
  }

  dispose(): void {
    for (const buffer of this.mirrors.values()) buffer.destroy();
    this.mirrors.clear();
    this.groups.clear();
  }
}

interface Pool {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/**
 * Destroys the buffers tfjs-backend-webgpu 4.22's pool holds for reuse (none is bound to a live
 * tensor; the GPU frees each once the commands submitted with it are done). The pool makes new ones
 * as tfjs needs them again.
 */
export function releaseIdleBuffers(webgpu: WebGPUBackend): void {
  // What tfjs recorded with them is submitted first: a command buffer may not use a destroyed buffer.
  submitPending(webgpu as unknown as Recorder);
  const pool = (webgpu as unknown as { bufferManager: Pool }).bufferManager;
  for (const buffers of pool.freeBuffers.values()) {
    for (const buffer of buffers) {
      pool.numBytesAllocated -= buffer.size;
      buffer.destroy();
    }
    pool.numFreeBuffers -= buffers.length;
    // The key stays: tfjs releases nothing into a pool whose map is empty.
    buffers.length = 0;
  }
}

/** A new tfjs tensor holding a copy of `buffer`'s first bytes, recorded in tfjs's command stream. */
export function tensorFromBuffer(
  webgpu: WebGPUBackend,
  buffer: GPUBuffer,
  shape: number[],
  dtype: tf.DataType,
): tf.Tensor {
  const backend = webgpu as unknown as Recorder;
  const info = backend.makeTensorInfo(shape, dtype);
  backend.uploadToGPU(info.dataId);
  const target = backend.tensorMap.get(info.dataId).resource as GPUBuffer;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder!.copyBufferToBuffer(buffer, 0, target, 0, 4 * tf.util.sizeFromShape(shape));
  backend.commandQueueOwnedIds.add(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** The GPU buffer that holds `tensor`'s values, uploading them first if they are on the CPU. */
export function bufferOf(webgpu: WebGPUBackend, tensor: tf.TensorInfo): GPUBuffer | null {
  const backend = webgpu as unknown as Recorder;
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId).resource;
  return resource instanceof GPUBuffer ? resource : null;
}
