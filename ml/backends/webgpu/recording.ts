/**
 * Loupe's way of recording programs into tfjs-backend-webgpu's command stream, installed on the
 * engine's backend when it starts (select.ts).
 *
 * On a GPU a training step of a small model is bound by recording programs on the JavaScript
 * thread, not by the GPU (an H100 ran 13 ms of kernels in a 34 ms U-Net step). tfjs's
 * recordAndSubmit builds each program's uniforms as a list of objects, gives them a buffer of
 * their own written by a call into Dawn, and asks the pipeline for its bind group layout, a call
 * into Dawn too. Here the uniforms are written straight into a shared arena (uniform-arena.ts)
 * that goes to the GPU once per submit, each pipeline's layout is asked for once, and a fill with
 * zeros is a clearBuffer command, not a program. Otherwise what is
 * recorded, in which pass, and when it is submitted are tfjs's: the same program, bindings and
 * uniform values, a submit every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, and under tf.profile
 * a pass and a timestamp per program.
 *
 * tfjs-backend-webgpu is pinned to 4.22, whose backend fields this reads (private in its typings)
 * and whose methods it replaces on the one backend object, not on the class.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { fieldType, FLOAT32, INT32, UniformArena, type UniformField } from './uniform-arena';

/** The fields of tfjs-backend-webgpu 4.22's backend that recording a program uses. */
export interface Recorder {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: object): { resource: unknown; values: unknown } };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  /** Set while tf.profile or tf.time runs, else null or undefined. */
  activeTimers?: { name: string; query: Promise<number> }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  tensorToBinding(tensor: tf.TensorInfo): GPUBindingResource;
  makeUniforms(uniforms: UniformField[]): GPUBufferBinding;
  recordAndSubmit(program: Program, output: tf.TensorInfo, inputs: tf.TensorInfo[], uniforms?: UniformField[]): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
  dispose(): void;
}

/** What recordAndSubmit reads of one of tfjs's programs. */
interface Program {
  pipeline: GPUComputePipeline | Promise<GPUComputePipeline>;
  dispatch: [number, number, number];
  outputShape: number[];
  /** Set on the programs that read or draw pixels: their uniforms are the output's strides alone. */
  pixelsOpType?: number | null;
  size?: boolean;
  outputComponent?: number;
}

/** tfjs's PixelsOpType.DRAW: a program that draws to a canvas is submitted at once. */
const PIXELS_DRAW = 1;

const layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();

/** The pipeline's bind group layout, asked of Dawn once. */
export function layoutOf(pipeline: GPUComputePipeline): GPUBindGroupLayout {
  let layout = layouts.get(pipeline);
  if (!layout) layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
  return layout;
}

/**
 * Records one dispatch as tfjs does: a pass of its own with timestamps under tf.profile (named
 * `name`), else the open pass, and a submit every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches (or
 * at once when `submitNow`).
 */
export function recordDispatch(
  backend: Recorder,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  grid: readonly [number, number, number],
  name: string,
  submitNow = false,
): void {
  const timers = backend.activeTimers ?? null;
  backend.ensureCommandEncoderReady();
  if (timers !== null && backend.supportTimestampQuery) {
    backend.endComputePassEncoder();
    backend.querySet ??= backend.device.createQuerySet({ type: 'timestamp', count: backend.querySetCount });
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass({
      timestampWrites: { querySet: backend.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  } else if (!backend.computePassEncoder) {
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
  }
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(grid[0], grid[1], grid[2]);
  backend.dispatchCountInPass++;
  const batch = tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number;
  if (timers !== null || batch <= backend.dispatchCountInPass || submitNow) {
    backend.endComputePassEncoder();
    if (timers !== null) timers.push({ name, query: backend.getQueryTime() });
    else backend.submitQueue();
  }
}

/** tfjs 4.22's recordAndSubmit with the uniforms written into `arena`. */
function recordWithArena(
  backend: Recorder,
  arena: UniformArena,
  program: Program,
  output: tf.TensorInfo,
  inputs: tf.TensorInfo[],
  programUniforms?: UniformField[],
): void {
  if (clearedInstead(backend, program, output, programUniforms)) return;
  const pipeline = program.pipeline;
  if (pipeline instanceof Promise)
    throw new Error('Please call checkCompileCompletionAsync to ensure parallel compilation is done!');
  // tfjs's uniforms, in its order: NaN, Infinity, each input's and the output's shape and strides
  // (or only the output's strides for a pixels program), the size, the program's own.
  arena.begin();
  if (program.pixelsOpType === undefined || program.pixelsOpType === null) {
    arena.add(FLOAT32, NAN);
    arena.add(FLOAT32, INFINITY);
    for (const input of inputs) {
      arena.add(INT32, input.shape);
      arena.addStrides(input.shape);
    }
    arena.add(INT32, output.shape);
    arena.addStrides(output.shape);
  } else {
    arena.addStrides(output.shape);
  }
  if (program.size) {
    const size = tf.util.sizeFromShape(program.outputShape);
    SIZE[0] = program.outputComponent ? size / program.outputComponent : size;
    arena.add(INT32, SIZE);
  }
  if (programUniforms) for (const { type, data } of programUniforms) arena.add(fieldType(type), data);
  const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: backend.tensorToBinding(output) }];
  for (let i = 0; i < inputs.length; i++)
    entries.push({ binding: i + 1, resource: backend.tensorToBinding(inputs[i]!) });
  entries.push({ binding: inputs.length + 1, resource: arena.end() });
  for (const input of inputs) backend.commandQueueOwnedIds.add(input.dataId);
  backend.commandQueueOwnedIds.add(output.dataId);
  const bindGroup = backend.device.createBindGroup({ layout: layoutOf(pipeline), entries });
  recordDispatch(
    backend,
    pipeline,
    bindGroup,
    program.dispatch,
    program.constructor.name,
    program.pixelsOpType === PIXELS_DRAW,
  );
}

/**
 * A fill with zeros (tf.fill(…, 0), and the output that tfjs's split-K matrix product adds into) recorded
 * as the command encoder's clearBuffer, outside a compute pass: no pipeline, bind group or uniforms
 * to record, where tfjs ran its FillProgram. The buffer ends as the program leaves it (+0 in every
 * float32 or int32; a fill with −0 stays a program). False, recording nothing, for any other program.
 */
function clearedInstead(
  backend: Recorder,
  program: Program,
  output: tf.TensorInfo,
  programUniforms: UniformField[] | undefined,
): boolean {
  if (program.constructor.name !== 'FillProgram' || programUniforms?.length !== 1) return false;
  if (!Object.is(programUniforms[0]!.data[0], 0) || backend.activeTimers) return false;
  const binding = backend.tensorToBinding(output) as Partial<GPUBufferBinding>;
  if (binding.buffer === undefined) return false;
  backend.commandQueueOwnedIds.add(output.dataId);
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder!.clearBuffer(binding.buffer);
  return true;
}

const NAN = [NaN];
const INFINITY = [Infinity];
const SIZE = [0];

/** Installs Loupe's recording on `webgpu` (once per backend object). */
export function installRecording(webgpu: WebGPUBackend): void {
  const backend = webgpu as unknown as Recorder;
  // Installed already: the object holds its own methods, not the class's.
  if (Object.hasOwn(backend, 'makeUniforms')) return;
  const arena = new UniformArena(backend.device);
  const submitQueue = backend.submitQueue;
  const dispose = backend.dispose;
  backend.makeUniforms = (fields) => arena.pack(fields);
  backend.recordAndSubmit = function (this: Recorder, program, output, inputs, uniforms) {
    recordWithArena(this, arena, program, output, inputs, uniforms);
  };
  // The uniforms packed since the last submit go to the GPU before the commands that read them.
  backend.submitQueue = function (this: Recorder) {
    arena.flush(this.queue);
    submitQueue.call(this);
  };
  backend.dispose = function (this: Recorder) {
    dispose.call(this);
    arena.destroy();
  };
}
