/**
 * A GPU program with several outputs, recorded into tfjs-backend-webgpu's own command stream.
 *
 * tfjs's programs (runWebGPUProgram) write one output each, so an update of three tensors (Adam's
 * p, m and v) took three dispatches that read the same inputs. On a GPU a training step of a small
 * model is bound by the cost of recording dispatches, not by arithmetic (an H100 spent 13 ms of a
 * 34 ms U-Net step in kernels; recording one dispatch took 70–110 µs of JavaScript and Dawn here),
 * so one dispatch in place of three is time saved.
 *
 * The program is recorded as tfjs records its own (recording.ts): in the open compute pass, its
 * inputs and outputs marked as owned by the command queue so that tensors disposed before the
 * submit keep their buffers until then, a submit every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE
 * dispatches, and under tf.profile a timestamp per program.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { layoutOf, recordDispatch, type Recorder } from './recording';

/** What the program declares: bindings 0… its outputs (read_write), then its inputs (read), then `uniforms`. */
export interface MultiOutputProgram {
  /** Names the WGSL below for the pipeline cache: one key, one source. */
  key: string;
  /** A whole WGSL module with `@compute @workgroup_size(WORKGROUP) fn main`, see bindingsWgsl. */
  code: string;
  /** Threads wanted, one per index; the grid is made two-dimensional past 65,535 workgroups. */
  threads: number;
}

/** Threads per workgroup of every multi-output program. */
export const WORKGROUP = 64;
/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension. */
const MAX_WORKGROUPS = 65535;

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipelineFor(device: GPUDevice, program: MultiOutputProgram): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(program.key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: program.code });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    cache.set(program.key, pipeline);
  }
  return pipeline;
}

/**
 * The binding declarations and the index preamble for a program's WGSL: `outputs` and `inputs` are
 * f32 arrays by name, `uniforms` the fields after `size : i32` (which holds the thread count).
 * Inside `main`, `index` is the thread's index; threads at or past `uniforms.size` return.
 */
export function bindingsWgsl(outputs: readonly string[], inputs: readonly string[], uniforms: string): string {
  const declarations = [
    ...outputs.map((name, i) => `@group(0) @binding(${i}) var<storage, read_write> ${name} : array<f32>;`),
    ...inputs.map((name, i) => `@group(0) @binding(${outputs.length + i}) var<storage, read> ${name} : array<f32>;`),
    `struct Uniforms { size : i32, ${uniforms} };`,
    `@group(0) @binding(${outputs.length + inputs.length}) var<uniform> uniforms : Uniforms;`,
  ];
  return declarations.join('\n');
}

/** The start of `main`: `index` from a grid that may be two-dimensional. */
export const MAIN_PREAMBLE = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let index = i32(id.x + id.y * groups.x * ${WORKGROUP}u);
  if (index >= uniforms.size) { return; }`;

/**
 * Runs `program` on `inputs` into new float32 tensors of `outputShapes`, in tfjs's command stream.
 * `uniforms` follow `size` (the thread count) in the program's Uniforms struct, as f32 or i32.
 */
export function runMultiOutput(
  webgpu: WebGPUBackend,
  program: MultiOutputProgram,
  inputs: tf.TensorInfo[],
  outputShapes: number[][],
  uniforms: { type: 'float32' | 'int32'; data: number[] }[],
): tf.TensorInfo[] {
  const backend = webgpu as unknown as Recorder;
  const empty = (shape: number[]) => tf.util.sizeFromShape(shape) === 0;
  // WebGPU binds no empty buffer: a program with threads has no empty tensor.
  if (program.threads > 0 && (outputShapes.some(empty) || inputs.some((t) => empty(t.shape))))
    throw new Error(`The GPU program ${program.key} was given an empty tensor.`);
  const outputs = outputShapes.map((shape) => backend.makeTensorInfo(shape, 'float32'));
  if (program.threads === 0) {
    // As tfjs leaves its own programs' empty outputs: no buffer, empty values.
    for (const t of outputs) if (empty(t.shape)) backend.tensorMap.get(t.dataId).values = new Float32Array(0);
    return outputs;
  }
  record(backend, program, outputs, inputs, uniforms);
  return outputs;
}

/** How many programs have written tensors in place: a step that did cannot be replayed (step-capture.ts). */
export const inPlaceWrites = { count: 0 };

/**
 * Runs `program` writing `targets` in place (bound read_write, as outputs are above) and reading
 * `inputs`. Only for tensors no other tensor shares (the caller checks the backend's refCount):
 * every reader of the buffer sees the new values. Values tfjs kept on the CPU for a target are
 * dropped, since the GPU now holds newer ones.
 */
export function runInPlace(
  webgpu: WebGPUBackend,
  program: MultiOutputProgram,
  targets: tf.TensorInfo[],
  inputs: tf.TensorInfo[],
  uniforms: { type: 'float32' | 'int32'; data: number[] }[],
): void {
  const backend = webgpu as unknown as Recorder;
  if (program.threads === 0) return;
  inPlaceWrites.count++;
  record(backend, program, targets, inputs, uniforms);
  for (const t of targets) backend.tensorMap.get(t.dataId).values = null;
}

/** Records `program` with `writable` then `readable` bound in order, then its uniforms. */
function record(
  backend: Recorder,
  program: MultiOutputProgram,
  writable: tf.TensorInfo[],
  readable: tf.TensorInfo[],
  uniforms: { type: 'float32' | 'int32'; data: number[] }[],
): void {
  for (const t of [...writable, ...readable]) {
    backend.uploadToGPU(t.dataId);
    backend.commandQueueOwnedIds.add(t.dataId);
  }
  const pipeline = pipelineFor(backend.device, program);
  const buffers = [...writable, ...readable].map((t) => ({
    buffer: backend.tensorMap.get(t.dataId).resource as GPUBuffer,
  }));
  const uniformBinding = backend.makeUniforms([{ type: 'int32', data: [program.threads] }, ...uniforms]);
  const bindGroup = backend.device.createBindGroup({
    layout: layoutOf(pipeline),
    entries: [...buffers, uniformBinding].map((resource, binding) => ({ binding, resource })),
  });
  const workgroups = Math.ceil(program.threads / WORKGROUP);
  recordDispatch(
    backend,
    pipeline,
    bindGroup,
    [Math.min(workgroups, MAX_WORKGROUPS), Math.ceil(workgroups / MAX_WORKGROUPS), 1],
    program.key,
  );
}
