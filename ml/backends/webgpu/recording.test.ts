/**
 * Loupe's recording (recording.ts, uniform-arena.ts) must record what tfjs-backend-webgpu 4.22's
 * own recordAndSubmit records: the same pipelines, bindings and grids in the same passes, the same
 * submits, and the same uniform bytes at each program's binding. Both run here on a stand-in
 * device that keeps every call (no GPU needed); tfjs's methods are the reference. The uniforms
 * are compared as bytes, tfjs's in its own buffer per program, Loupe's at the binding's offset in
 * the arena's chunk as written by the flush before the submit. recording-device.test.ts runs the
 * arena on a device.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterEach, describe, expect, it } from 'vitest';
import { installRecording } from './recording';
import { UniformArena } from './uniform-arena';

const host = globalThis as Record<string, unknown>;
// Dawn's globals where no test has loaded the webgpu package: the values are WebGPU's.
host.GPUBufferUsage ??= { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 };
const BufferClass = (host.GPUBuffer ??= class {}) as new () => object;
host.GPUTexture ??= class {};

/** A stand-in buffer: its bytes as the queue last wrote them. */
function fakeBuffer(size: number, label: string): GPUBuffer {
  // Own values: the class may be Dawn's, whose prototype has getters of these names.
  const own = { size, label, bytes: new Uint8Array(size), destroy: () => {} };
  return Object.create(
    BufferClass.prototype,
    Object.fromEntries(Object.entries(own).map(([key, value]) => [key, { value }])),
  ) as GPUBuffer;
}

type Event = unknown[];

/** A backend object whose device, queue and encoders log what they are asked to do. */
function fakeBackend(log: Event[]) {
  let buffers = 0;
  const pass = {
    setPipeline: (p: { label: string }) => log.push(['setPipeline', p.label]),
    setBindGroup: (i: number, g: { entries: GPUBindGroupEntry[] }) =>
      log.push(['setBindGroup', i, describeEntries(g.entries)]),
    dispatchWorkgroups: (...grid: number[]) => log.push(['dispatch', ...grid]),
    end: () => log.push(['end pass']),
  };
  const device = {
    limits: { minUniformBufferOffsetAlignment: 256, maxComputeWorkgroupsPerDimension: 65535 },
    createBuffer: ({ size }: { size: number }) => fakeBuffer(size, `buffer${buffers++}`),
    createBindGroup: (descriptor: { entries: GPUBindGroupEntry[] }) => ({ entries: descriptor.entries }),
    createCommandEncoder: () => ({
      beginComputePass: (d: object) => (log.push(['begin pass', 'timestampWrites' in d]), pass),
      clearBuffer: (b: { label: string }) => log.push(['clearBuffer', b.label]),
      finish: () => 'commands',
    }),
    createQuerySet: () => ({}),
  };
  const queue = {
    writeBuffer: (b: { bytes: Uint8Array }, at: number, data: ArrayBuffer, from: number, size: number) =>
      b.bytes.set(new Uint8Array(data, from, size), at),
    submit: () => {
      log.splice(0, log.length, ...settle(log));
      log.push(['submit']);
    },
  };
  const backend = Object.create(WebGPUBackend.prototype) as Record<string, unknown>;
  Object.assign(backend, {
    device,
    queue,
    tensorMap: new Map(),
    commandEncoder: null,
    computePassEncoder: null,
    commandQueueOwnedIds: new WeakSet(),
    dispatchCountInPass: 0,
    activeTimers: null,
    supportTimestampQuery: true,
    querySetCount: 2,
    uniformPendingDisposal: [],
    tensorDataPendingDisposal: [],
    stagingPendingDisposal: [],
    bufferManager: { acquireBuffer: (size: number) => fakeBuffer(size, 'uniform'), releaseBuffer: () => {} },
    getQueryTime: () => Promise.resolve(0),
  });
  return backend;
}

/** A binding as data: a tensor's buffer by label, a uniform binding by its bytes (read at the submit). */
function describeEntries(entries: GPUBindGroupEntry[]): unknown[] {
  return entries.map(({ binding, resource }) => {
    const b = resource as { buffer?: { label: string; bytes: Uint8Array }; offset?: number; size?: number };
    if (b.buffer?.label.startsWith('tensor')) return [binding, b.buffer.label];
    if (b.buffer)
      return [
        binding,
        'uniform',
        new Unread(() => [...b.buffer!.bytes.subarray(b.offset ?? 0, (b.offset ?? 0) + b.size!)]),
      ];
    return [binding, resource];
  });
}

/** A uniform binding's bytes, read when the commands that use them are submitted. */
class Unread {
  constructor(readonly read: () => number[]) {}
}

/** The log so far with the uniform bytes read now: what the GPU would read at this submit. */
function settle(log: Event[]): Event[] {
  const read = (value: unknown): unknown =>
    value instanceof Unread ? value.read() : Array.isArray(value) ? value.map(read) : value;
  return log.map((event) => read(event) as Event);
}

interface FakeProgram {
  pipeline: { label: string; getBindGroupLayout: () => object };
  dispatch: [number, number, number];
  outputShape: number[];
  pixelsOpType?: number;
  size?: boolean;
  outputComponent?: number | undefined;
}

let tensors = 0;
function tensor(backend: Record<string, unknown>, shape: number[]): tf.TensorInfo {
  const dataId = { id: tensors++ };
  (backend.tensorMap as Map<object, unknown>).set(dataId, { resource: fakeBuffer(4, `tensor${dataId.id}`) });
  return { dataId, shape, dtype: 'float32' };
}

/** Records `programs` on `backend` through recordAndSubmit, as runWebGPUProgram calls it, then submits. */
function record(backend: Record<string, unknown>, seed: number, count: number, timed: boolean): void {
  tensors = 0;
  if (timed) backend.activeTimers = [];
  const shapes = [[], [7], [3, 5], [2, 3, 4], [2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6]];
  const pipelines = [0, 1, 2].map((i) => ({ label: `pipeline${i}`, getBindGroupLayout: () => ({}) }));
  const record = backend.recordAndSubmit as (...args: unknown[]) => void;
  for (let i = 0; i < count; i++) {
    const k = seed + i;
    const program: FakeProgram = {
      pipeline: pipelines[k % 3]!,
      dispatch: [1 + (k % 5), 1 + (k % 2), 1],
      outputShape: shapes[k % 7]!,
      ...(k % 11 === 3 ? { pixelsOpType: k % 2 } : {}),
      ...(k % 3 === 1 ? { size: true, outputComponent: k % 6 === 1 ? 4 : undefined } : {}),
    };
    const inputs = Array.from({ length: k % 4 }, (_, j) => tensor(backend, shapes[(k + j) % 7]!));
    const output = tensor(backend, program.outputShape);
    const own =
      k % 2 === 0
        ? [
            { type: 'float32', data: [k / 7, -0.5, NaN].slice(0, 1 + (k % 3)) },
            { type: 'int32', data: [-k, k, 3, 4, 5, 6].slice(0, 1 + (k % 6)) },
            { type: 'uint32', data: k % 4 === 0 ? [] : [k] },
          ]
        : undefined;
    record.call(backend, program, output, inputs, own);
  }
  backend.activeTimers = null;
  if (backend.commandEncoder) {
    (backend.endComputePassEncoder as () => void).call(backend);
    (backend.submitQueue as () => void).call(backend);
  }
}

afterEach(() => tf.env().reset());

describe("Loupe's recording of tfjs programs (uniform arena)", () => {
  for (const [batch, count, timed] of [
    [15, 40, false],
    [1000, 700, false],
    [15, 20, true],
  ] as const) {
    it(`records what tfjs records: ${count} programs, a submit every ${batch}${timed ? ', under tf.profile' : ''}`, () => {
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch);
      const tfjsLog: Event[] = [];
      record(fakeBackend(tfjsLog), 5, count, timed);
      const loupeLog: Event[] = [];
      const loupe = fakeBackend(loupeLog);
      installRecording(loupe as unknown as WebGPUBackend);
      record(loupe, 5, count, timed);
      expect(loupeLog).toEqual(tfjsLog);
      expect(loupeLog.filter(([e]) => e === 'dispatch')).toHaveLength(count);
    });
  }

  it('records a fill with zeros as clearBuffer between passes; any other fill as tfjs does', () => {
    /** tfjs's FillProgram as recordAndSubmit sees it (the name is what Loupe goes by). */
    class FillProgram {
      pipeline = { label: 'fill', getBindGroupLayout: () => ({}) };
      dispatch: [number, number, number] = [2, 1, 1];
      outputShape = [2, 64];
      size = true;
    }
    const other = { pipeline: { label: 'add', getBindGroupLayout: () => ({}) }, dispatch: [1, 1, 1], outputShape: [4] };
    const run = (backend: Record<string, unknown>) => {
      tensors = 0;
      const recordAndSubmit = backend.recordAndSubmit as (...args: unknown[]) => void;
      for (const value of [0, 2, -0, 0]) {
        recordAndSubmit.call(backend, other, tensor(backend, [4]), [tensor(backend, [4])]);
        recordAndSubmit.call(
          backend,
          new FillProgram(),
          tensor(backend, [2, 64]),
          [],
          [{ type: 'float32', data: [value] }],
        );
      }
      (backend.submitQueue as () => void).call(backend);
    };
    const tfjsLog: Event[] = [];
    run(fakeBackend(tfjsLog));
    const loupeLog: Event[] = [];
    const loupe = fakeBackend(loupeLog);
    installRecording(loupe as unknown as WebGPUBackend);
    run(loupe);
    const dispatched = (log: Event[]) => log.filter(([e]) => e === 'setPipeline').map(([, p]) => p);
    expect(dispatched(tfjsLog)).toEqual(['add', 'fill', 'add', 'fill', 'add', 'fill', 'add', 'fill']);
    expect(dispatched(loupeLog)).toEqual(['add', 'add', 'fill', 'add', 'fill', 'add']);
    // The zero fills' outputs (the third tensor of the first and the fourth round) are cleared in order, each after its pass has ended.
    const cleared = loupeLog.flatMap((event, i) =>
      event[0] === 'clearBuffer' ? [[loupeLog[i - 1]![0], event[1]]] : [],
    );
    expect(cleared).toEqual([
      ['end pass', 'tensor2'],
      ['end pass', 'tensor11'],
    ]);
  });

  it('packs makeUniforms fields as tfjs lays them out, slots at the device’s offset alignment', () => {
    const fields = [
      { type: 'float32', data: [1.5] },
      { type: 'int32', data: [1, 2, 3, 4, 5] },
      { type: 'int32', data: [7] },
      { type: 'uint32', data: [] },
      { type: 'float32', data: [2, 3] },
    ];
    const expected: Event[] = [];
    const tfjsBackend = fakeBackend(expected);
    const binding = (tfjsBackend.makeUniforms as (f: unknown) => { buffer: { bytes: Uint8Array } }).call(
      tfjsBackend,
      structuredClone(fields),
    );
    const device = fakeBackend([]).device as unknown as GPUDevice;
    const arena = new UniformArena(device);
    const first = arena.pack(fields);
    const second = arena.pack(fields);
    arena.flush((fakeBackend([]) as unknown as { queue: GPUQueue }).queue);
    const bytes = (b: GPUBufferBinding) => [
      ...(b.buffer as unknown as { bytes: Uint8Array }).bytes.subarray(b.offset!, b.offset! + b.size!),
    ];
    expect(bytes(first)).toEqual([...binding.buffer.bytes]);
    expect(bytes(second)).toEqual([...binding.buffer.bytes]);
    expect([first.offset, second.offset]).toEqual([0, 256]);
  });
});
