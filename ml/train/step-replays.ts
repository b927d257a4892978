/**
 * On WebGPU, a training step's forward pass, loss and backward pass replayed from a capture of
 * its GPU commands (ml/backends/webgpu/step-capture.ts, step-replay.ts) instead of run through
 * tfjs's engine again: on a GPU a small model's step is bound by that JavaScript, not by the GPU.
 *
 * For each model and batch shape: the first step runs as usual; the next two are captured; when
 * both issued the same commands on buffers in the same roles (the batch, the variables), later
 * steps with that shape replay the second capture: the batch and every variable the step reads are
 * copied in as they are now, and the loss, outputs, gradients and the variables the step assigned
 * (batch norm's moving averages) come out as new tensors. The optimiser's update is not part of
 * it, so a learning-rate schedule, resumed weights or pruning between steps change nothing.
 * A step that cannot be replayed (see step-capture.ts; a loss that changes from batch to batch, as
 * distillation's does; a buffer the step reads that is neither the batch's nor a variable's nor
 * uniforms) keeps running through tfjs, as before, with the reason kept for `stepReplayStatus`.
 *
 * `LOUPE_WEBGPU_REPLAY=0` turns it off.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { captureCommands, type Capture } from '../backends/webgpu/step-capture';
import { sameCommands, usedBuffers } from '../backends/webgpu/step-match';
import { bufferOf, StepReplay, tensorFromBuffer } from '../backends/webgpu/step-replay';
import type { Batch } from '../data/batches';
import type { LossFunction } from '../losses/index';

export interface StepGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  logits: tf.Tensor;
}

export const stepReplaySetting = { enabled: process.env.LOUPE_WEBGPU_REPLAY !== '0' };

/** Where each of a step's inputs comes from on a replay. */
type Source = 'x' | 'y' | tf.Variable;

interface Observed {
  capture: Capture;
  /** Buffers at the step's start: the batch's and each variable's. */
  x: GPUBuffer;
  y: GPUBuffer;
  variables: Map<tf.Variable, GPUBuffer>;
  /** Buffers at its end: loss, outputs, gradients by variable name, variables assigned. */
  value: GPUBuffer;
  logits: GPUBuffer;
  grads: [string, GPUBuffer][];
  assigned: [tf.Variable, GPUBuffer][];
}

interface Ready {
  replay: StepReplay;
  /** Whether the GPU found memory for the replay's buffers: known once Dawn answers, a step or so later. */
  memory: 'checking' | 'ok' | 'short';
  checked?: Promise<void>;
  sources: Source[];
  logits: { shape: number[]; dtype: tf.DataType };
  grads: { name: string; shape: number[] }[];
  assigned: tf.Variable[];
}

interface Entry {
  loss: LossFunction;
  steps: number;
  lossChanges: number;
  first?: Observed | undefined;
  ready?: Ready | undefined;
  refused?: string;
  replayed: number;
}

const entries = new WeakMap<tf.LayersModel, Map<string, Entry>>();
/** Captures begin after this many plain steps of a shape (the first compiles the GPU programs). */
const PLAIN_STEPS = 1;
/** A loss that changes this often is made per batch (distillation's): its step is not replayed. */
const LOSS_CHANGES = 3;

function webgpu(): WebGPUBackend | null {
  return tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as WebGPUBackend) : null;
}

/** A step's kind: the batch's shapes and what trains (a layer unfrozen between epochs makes another). */
function keyOf(batch: Batch, trained: readonly tf.Variable[]): string {
  return `${batch.x.dtype}${batch.x.shape}|${batch.y.dtype}${batch.y.shape}|${trained.map((v) => v.name).join()}`;
}

/** The step's gradients, replayed where it can be (see above), else from `compute`. */
export function stepGradients(
  model: tf.LayersModel,
  loss: LossFunction,
  trained: readonly tf.Variable[],
  batch: Batch,
  compute: () => StepGradients,
): StepGradients {
  const gpu = webgpu();
  // Under tf.profile every kernel is to be seen: the step runs through tfjs, as it would elsewhere.
  if (!gpu || !stepReplaySetting.enabled || (tf.engine().state as { profiling?: boolean }).profiling) return compute();
  let byShape = entries.get(model);
  if (!byShape) entries.set(model, (byShape = new Map()));
  const key = keyOf(batch, trained);
  let entry = byShape.get(key);
  if (!entry) byShape.set(key, (entry = { loss, steps: 0, lossChanges: 0, replayed: 0 }));
  if (entry.loss !== loss) {
    drop(entry);
    entry.loss = loss;
    entry.steps = 0;
    if (++entry.lossChanges >= LOSS_CHANGES) entry.refused = 'the loss changes from batch to batch';
  }
  if (entry.refused) return compute();
  if (entry.ready?.memory === 'short') {
    drop(entry);
    entry.refused = 'the GPU has no memory left for a copy of the step';
    return compute();
  }
  if (entry.ready?.memory === 'checking') return compute();
  if (entry.ready) {
    const replayed = replay(gpu, entry.ready, batch);
    if (replayed) {
      entry.replayed++;
      return replayed;
    }
    drop(entry);
    entry.steps = 0;
  }
  if (++entry.steps <= PLAIN_STEPS) return compute();
  return observe(gpu, entry, batch, compute);
}

function observe(gpu: WebGPUBackend, entry: Entry, batch: Batch, compute: () => StepGradients): StepGradients {
  const x = bufferOf(gpu, batch.x);
  const y = bufferOf(gpu, batch.y);
  const variables = new Map<tf.Variable, GPUBuffer>();
  const before = new Map<tf.Variable, object>();
  for (const variable of Object.values(tf.engine().state.registeredVariables)) {
    const buffer = bufferOf(gpu, variable);
    if (buffer) variables.set(variable, buffer);
    before.set(variable, variable.dataId);
  }
  const captured = captureCommands(gpu, compute);
  const result = captured.result;
  const refuse = (reason: string) => {
    entry.refused = reason;
    drop(entry);
    return result;
  };
  if ('refused' in captured) return refuse(captured.refused);
  if (!x || !y || x === y) return refuse('the batch is not on the GPU');
  const at = (t: tf.TensorInfo) => bufferOf(gpu, t);
  const grads = Object.entries(result.grads).map(([name, t]) => [name, at(t)] as [string, GPUBuffer | null]);
  const assigned = [...before].filter(([v, id]) => !v.isDisposed && v.dataId !== id).map(([v]) => [v, at(v)] as const);
  const value = at(result.value);
  const logits = at(result.logits);
  const outputs = [value, logits, ...grads.map(([, b]) => b), ...assigned.map(([, b]) => b)];
  if (outputs.some((b) => b === null || !captured.capture.allocated.has(b)))
    return refuse('a result of the step was not computed on the GPU');
  const observed: Observed = {
    capture: captured.capture,
    x,
    y,
    variables,
    value: value!,
    logits: logits!,
    grads: grads as [string, GPUBuffer][],
    assigned: assigned as [tf.Variable, GPUBuffer][],
  };
  if (!entry.first) {
    entry.first = observed;
    return result;
  }
  const reason = prepare(gpu, entry, entry.first, observed, result);
  entry.first = undefined;
  return reason ? refuse(reason) : result;
}

/** Builds the replay from `b` when it issued what `a` did; else why not. */
function prepare(gpu: WebGPUBackend, entry: Entry, a: Observed, b: Observed, result: StepGradients): string | null {
  const roles: [GPUBuffer, GPUBuffer][] = [
    [a.x, b.x],
    [a.y, b.y],
  ];
  for (const [variable, buffer] of a.variables) {
    const other = b.variables.get(variable);
    if (other) roles.push([buffer, other]);
  }
  const same = sameCommands(a.capture, b.capture, roles);
  if (!same) return 'its GPU commands differ from step to step';
  const outputs = (o: Observed) => [o.value, o.logits, ...o.grads.map(([, g]) => g), ...o.assigned.map(([, g]) => g)];
  const names = (o: Observed) => [...o.grads.map(([n]) => n), ...o.assigned.map(([v]) => v.name)].join();
  if (names(a) !== names(b) || outputs(a).some((buffer, i) => same.get(buffer) !== outputs(b)[i]))
    return 'its results differ from step to step';
  const used = usedBuffers(b.capture);
  const sources: Source[] = ['x', 'y'];
  const inputs = [b.x, b.y];
  for (const [variable, buffer] of b.variables)
    if (used.has(buffer)) {
      sources.push(variable);
      inputs.push(buffer);
    }
  const known = new Set(inputs);
  for (const buffer of used)
    if (!b.capture.allocated.has(buffer) && !known.has(buffer) && !(buffer.usage & GPUBufferUsage.UNIFORM))
      return 'it reads a tensor that is neither the batch nor a variable';
  // A GPU short of memory for the replay's buffers says so in this scope, not as a fault of the run.
  const device = (gpu as unknown as { device: GPUDevice }).device;
  // A buffer that could not be made leaves its bind groups invalid too: both kinds of error are kept here.
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  try {
    const ready: Ready = {
      replay: new StepReplay(gpu, b.capture, inputs, outputs(b)),
      memory: 'checking',
      sources,
      logits: { shape: result.logits.shape, dtype: result.logits.dtype },
      grads: b.grads.map(([name]) => ({ name, shape: result.grads[name]!.shape })),
      assigned: b.assigned.map(([variable]) => variable),
    };
    entry.ready = ready;
  } catch (error) {
    return (error as Error).message;
  } finally {
    const ready = entry.ready;
    const checked = Promise.all([device.popErrorScope(), device.popErrorScope()]).then((errors) => {
      if (ready) ready.memory = errors.some(Boolean) ? 'short' : 'ok';
    });
    if (ready) ready.checked = checked;
  }
  return null;
}

function replay(gpu: WebGPUBackend, ready: Ready, batch: Batch): StepGradients | null {
  const sources: { buffer: GPUBuffer; bytes: number }[] = [];
  for (const source of ready.sources) {
    const tensor = source === 'x' ? batch.x : source === 'y' ? batch.y : source;
    if (tensor.isDisposed) return null;
    const buffer = bufferOf(gpu, tensor);
    if (!buffer) return null;
    sources.push({ buffer, bytes: 4 * tensor.size });
  }
  const [value, logits, ...rest] = ready.replay.run(sources);
  const grads: tf.NamedTensorMap = {};
  ready.grads.forEach(({ name, shape }, i) => (grads[name] = tensorFromBuffer(gpu, rest[i]!, shape, 'float32')));
  ready.assigned.forEach((variable, i) => {
    const next = tensorFromBuffer(gpu, rest[ready.grads.length + i]!, variable.shape, variable.dtype);
    variable.assign(next);
    next.dispose();
  });
  return {
    value: tensorFromBuffer(gpu, value!, [], 'float32') as tf.Scalar,
    logits: tensorFromBuffer(gpu, logits!, ready.logits.shape, ready.logits.dtype),
    grads,
  };
}

function drop(entry: Entry): void {
  entry.ready?.replay.dispose();
  entry.ready = undefined;
  entry.first = undefined;
}

/** Frees the replays of `model`'s steps (their GPU buffers); training ends with it. */
export function releaseStepReplays(model: tf.LayersModel): void {
  for (const entry of entries.get(model)?.values() ?? []) drop(entry);
  entries.delete(model);
}

/** Resolves once Dawn has said whether each of `model`'s replays found GPU memory (tests). */
export async function replaysChecked(model: tf.LayersModel): Promise<void> {
  await Promise.all([...(entries.get(model)?.values() ?? [])].map((e) => e.ready?.checked));
}

/** How `model`'s steps of each batch shape ran: replays so far, or why not (tests and bench:train). */
export function stepReplayStatus(model: tf.LayersModel): { shape: string; replayed: number; refused?: string }[] {
  return [...(entries.get(model) ?? [])].map(([shape, e]) => ({
    shape,
    replayed: e.replayed,
    ...(e.refused ? { refused: e.refused } : {}),
  }));
}
