/**
 * Messages between the training thread and its gradient worker. Weights and gradients do not
 * travel in messages: they sit in SharedArrayBuffers both threads see (see SharedWeights), so a
 * step's messages carry only the worker's half of the batch and a few numbers.
 */
import type { BackendName } from '../../contract/index';
import type { LossSpec } from './loss-registry';

/** Float32 buffers shared by both threads, laid out in model.weights order. */
export interface SharedBuffers {
  /** Every weight, written by the training thread before each step. */
  weights: SharedArrayBuffer;
  /** Gradients of the trainable weights, written by the worker. */
  grads: SharedArrayBuffer;
  /** Non-trainable weights (batch-norm statistics) as the worker's half-batch updated them. */
  state: SharedArrayBuffer;
}

export interface WeightLayout {
  shape: number[];
  trainable: boolean;
}

export interface TensorPayload {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

export type ToGradientWorker =
  | {
      type: 'init';
      backend: BackendName;
      topology: object;
      layout: WeightLayout[];
      loss: LossSpec;
      buffers: SharedBuffers;
    }
  | { type: 'step'; id: number; x: TensorPayload; y: TensorPayload };

export type FromGradientWorker =
  | { type: 'ready' }
  | { type: 'stepped'; id: number; loss: number; logits: Float32Array }
  | { type: 'failed'; id: number | null; message: string };
