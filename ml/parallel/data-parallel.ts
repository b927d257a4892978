/**
 * Data parallelism over two threads: each training step, a gradient worker computes the
 * gradients of part of the batch while this thread computes the rest, and the two are combined
 * weighted by sample count. With a loss that is a per-sample mean (see loss-registry.ts) the
 * result equals the whole batch's gradient within float tolerance; layers that use batch
 * statistics (batch normalisation in training) see each part as its own batch, as in PyTorch's
 * DistributedDataParallel without SyncBatchNorm.
 *
 * The training loop uses it in place of `optimizer.computeGradients`:
 *
 *   const parallel = await DataParallelGradients.start({ model, loss: { name: 'categoricalCrossentropy' } });
 *   const { value, grads } = await parallel.computeGradients(xs, ys);
 *   optimizer.applyGradients(grads);
 *   tf.dispose([value, grads]);
 *   …
 *   await parallel.dispose();
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type BackendName } from '../../contract/index';
import { activeBackend } from '../backends/select';
import { batchGradients } from './batch-gradients';
import type { LossFunction } from '../losses/registry';
import { gradientWorkerScript } from './gradient-worker-script';
import { resolveLoss, type LossSpec } from './loss-registry';
import type { FromGradientWorker, SharedBuffers, TensorPayload, ToGradientWorker, WeightLayout } from './protocol';

/**
 * Below this batch size a step runs on one thread. From `npm run bench:train` on this project's
 * 2-core machine (CNN 32×32×3, two threads against one, steps alternated): batch 8 lost in every
 * run (0.77–0.89×) and 16 too (0.84–0.96×): a half of 4–8 small images is too little work for
 * the fixed cost of a split step (weights and gradients through shared memory, messages, the
 * combining sums) and for XNNPACK's small-batch efficiency. From 32 on two threads won whenever
 * the second core was free (U-Net batch 8: 1560 → 810 ms per step, 1.9×; CNN batch 64 up to
 * 1.2× under other load). Where another process keeps a core busy, Linux gives this process
 * about one core and two threads cannot win; the training loop may offer a one-thread switch.
 */
export const MIN_BATCH_TO_SPLIT = 32;

/** A second thread only pays where a second core exists. */
export function secondCoreAvailable(): boolean {
  return os.availableParallelism() >= 2;
}

export interface DataParallelArgs {
  /** The model being trained on this thread; the worker rebuilds it from its topology. */
  model: tf.LayersModel;
  /** The loss, by name: a worker cannot receive a function. */
  loss: LossSpec;
  /** Batches smaller than this run on this thread alone. Default MIN_BATCH_TO_SPLIT. */
  minBatchToSplit?: number;
  /** Backend of the worker. Default: the backend active on this thread. */
  backend?: BackendName;
  /** Built worker script. Default: $LOUPE_GRADIENT_WORKER, else out/main/gradient-worker.js. */
  workerScript?: string;
}

export interface ParallelGradients {
  /** Mean loss over the whole batch. */
  value: tf.Scalar;
  /** Keyed by variable name, as optimizer.computeGradients returns them. */
  grads: tf.NamedTensorMap;
  /** The model's outputs for the whole batch, in batch order, flattened (for a training metric). */
  logits: Float32Array;
}

/** What the worker answers to a request: its half's mean loss and outputs (none for `init`). */
interface WorkerReply {
  loss: number;
  logits: Float32Array;
}

export class DataParallelGradients {
  private nextId = 1;
  private pending: { id: number; resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly weights: Float32Array;
  private readonly grads: Float32Array;
  private readonly state: Float32Array;

  private constructor(
    private readonly worker: Worker,
    private readonly model: tf.LayersModel,
    private readonly loss: LossFunction,
    private readonly layout: WeightLayout[],
    buffers: SharedBuffers,
    private readonly minBatchToSplit: number,
  ) {
    this.weights = new Float32Array(buffers.weights);
    this.grads = new Float32Array(buffers.grads);
    this.state = new Float32Array(buffers.state);
    worker.on('message', (message: FromGradientWorker) => this.receive(message));
    worker.on('error', (error) =>
      this.fail(new LoupeError('ENGINE_CRASHED', `The second training thread failed: ${error.message}`)),
    );
    worker.on('exit', (code) =>
      this.fail(new LoupeError('ENGINE_CRASHED', `The second training thread stopped (exit code ${code}).`)),
    );
  }

  /** Starts the worker and gives it the model; resolves once it can take steps. */
  static async start(args: DataParallelArgs): Promise<DataParallelGradients> {
    const backend = args.backend ?? activeBackend()?.backend;
    if (!backend)
      throw new LoupeError('ENGINE_UNAVAILABLE', 'Start the engine backend before a parallel training run.');
    const loss = resolveLoss(args.loss);
    const layout: WeightLayout[] = args.model.weights.map((w) => ({
      shape: w.shape as number[],
      trainable: w.trainable,
    }));
    const floats = (keep: (w: WeightLayout) => boolean) => layout.filter(keep).reduce((n, w) => n + sizeOf(w.shape), 0);
    const buffers: SharedBuffers = {
      weights: new SharedArrayBuffer(4 * floats(() => true)),
      grads: new SharedArrayBuffer(4 * floats((w) => w.trainable)),
      state: new SharedArrayBuffer(4 * floats((w) => !w.trainable)),
    };
    const worker = new Worker(args.workerScript ?? gradientWorkerScript());
    const parallel = new DataParallelGradients(
      worker,
      args.model,
      loss,
      layout,
      buffers,
      args.minBatchToSplit ?? MIN_BATCH_TO_SPLIT,
    );
    const topology = args.model.toJSON(null, false) as object;
    try {
      await parallel.request({ type: 'init', backend, topology, layout, loss: args.loss, buffers }, 0);
    } catch (error) {
      await parallel.dispose();
      throw error;
    }
    return parallel;
  }

  /** Loss and gradients of the batch, half of it computed on the worker when it is big enough. */
  async computeGradients(xs: tf.Tensor, ys: tf.Tensor): Promise<ParallelGradients> {
    if (this.failure) throw this.failure;
    const batch = xs.shape[0]!;
    if (batch < this.minBatchToSplit) return this.named(batchGradients(this.model, this.loss, xs, ys));
    const mine = Math.ceil(batch / 2);
    const theirs = batch - mine;
    this.shareWeights();
    const id = this.nextId++;
    const workerReply = this.request(
      { type: 'step', id, x: payload(xs, mine, theirs), y: payload(ys, mine, theirs) },
      id,
    );
    let local: ReturnType<typeof batchGradients>;
    try {
      // This thread's half runs while the worker computes the other.
      const [xsMine, ysMine] = [xs.slice(0, mine), ys.slice(0, mine)];
      try {
        local = batchGradients(this.model, this.loss, xsMine, ysMine);
      } finally {
        tf.dispose([xsMine, ysMine]);
      }
    } catch (error) {
      // Let the worker finish its half first: the next step must not meet this one's reply.
      await workerReply.catch(() => undefined);
      throw error;
    }
    let workerPart: WorkerReply;
    try {
      workerPart = await workerReply;
    } catch (error) {
      tf.dispose([local.loss, ...local.grads]);
      throw error;
    }
    const [loss, ...grads] = tf.tidy(() => {
      const wMine = mine / batch;
      const wTheirs = theirs / batch;
      let offset = 0;
      const combined = local.grads.map((g) => {
        const other = tf.tensor(this.grads.subarray(offset, offset + g.size), g.shape);
        offset += g.size;
        return tf.add(tf.mul(g, wMine), tf.mul(other, wTheirs));
      });
      return [tf.add(tf.mul(local.loss, wMine), workerPart.loss * wTheirs), ...combined];
    });
    tf.dispose([local.loss, ...local.grads]);
    this.mergeState(mine / batch);
    const logits = new Float32Array(local.logits.length + workerPart.logits.length);
    logits.set(local.logits);
    logits.set(workerPart.logits, local.logits.length);
    return this.named({ loss: loss as tf.Scalar, grads, logits });
  }

  /** Stops the worker; a step still waiting for it fails with CANCELLED. */
  async dispose(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.fail(new LoupeError('CANCELLED', 'The parallel training session was closed.'));
    await this.worker.terminate();
  }

  private named({
    loss,
    grads,
    logits,
  }: {
    loss: tf.Scalar;
    grads: tf.Tensor[];
    logits: Float32Array;
  }): ParallelGradients {
    const map: tf.NamedTensorMap = {};
    this.model.trainableWeights.forEach((w, i) => (map[w.name] = grads[i]!));
    return { value: loss, grads: map, logits };
  }

  /** Copies every weight into the shared buffer the worker loads from. */
  private shareWeights(): void {
    let offset = 0;
    for (const w of this.model.weights) {
      const values = w.read().dataSync() as Float32Array;
      this.weights.set(values, offset);
      offset += values.length;
    }
  }

  /**
   * Batch-norm running statistics are updated by each thread from its own part; the result is
   * their sample-weighted mean, as one update from both parts' statistics would give.
   */
  private mergeState(mineFraction: number): void {
    let offset = 0;
    this.model.weights.forEach((w, i) => {
      if (this.layout[i]!.trainable) return;
      const shape = w.shape as number[];
      const theirs = this.state.subarray(offset, offset + sizeOf(shape));
      offset += sizeOf(shape);
      tf.tidy(() => {
        w.write(tf.add(tf.mul(w.read(), mineFraction), tf.mul(tf.tensor(theirs, shape), 1 - mineFraction)));
      });
    });
  }

  private request(message: ToGradientWorker, id: number): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      this.worker.postMessage(message, transferList(message));
    });
  }

  private receive(message: FromGradientWorker): void {
    const pending = this.pending;
    // Replies come in request order, one at a time; anything else is not for this request.
    if (!pending || ('id' in message && message.id !== null && message.id !== pending.id)) return;
    this.pending = null;
    if (message.type === 'failed')
      pending.reject(new LoupeError('ENGINE_CRASHED', `The second training thread failed: ${message.message}`));
    else
      pending.resolve(
        message.type === 'stepped'
          ? { loss: message.loss, logits: message.logits }
          : { loss: 0, logits: new Float32Array(0) },
      );
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.pending?.reject(error);
    this.pending = null;
  }
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Rows [start, start + count) of a batch as a transferable copy. The copy is needed: on the cpu
 * backend `dataSync` returns the tensor's own storage, a slice's storage is a view into its
 * parent's, and transferring either would detach the batch this thread still trains on.
 */
function payload(t: tf.Tensor, start: number, count: number): TensorPayload {
  const part = t.slice(start, count);
  try {
    const dtype = part.dtype === 'int32' ? 'int32' : 'float32';
    return { values: (part.dataSync() as Float32Array | Int32Array).slice(), shape: part.shape, dtype };
  } finally {
    part.dispose();
  }
}

function transferList(message: ToGradientWorker): ArrayBuffer[] {
  if (message.type !== 'step') return [];
  return [message.x.values.buffer as ArrayBuffer, message.y.values.buffer as ArrayBuffer];
}
