/**
 * Adam's update as one kernel, for backends that register it (the oneDNN backend does, see
 * ml/backends/onednn/optimizer-kernels.ts): p, m and v are updated in one pass, in place where
 * no other tensor shares their buffers. The constants are those optimizers.ts would round to
 * float32 tensors, so both paths compute the same values.
 */
import * as tf from '@tensorflow/tfjs';

export const FUSED_ADAM = 'LoupeFusedAdam';

export interface FusedAdamAttrs {
  /** beta1, 1 − beta1, beta2, 1 − beta2, epsilon, step size, √(1 − beta2^t), L2 decay, decay factor, L2?, decoupled? */
  constants: number[];
}

export interface AdamTerms {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** learningRate / (1 − beta1^t). */
  stepSize: number;
  /** √(1 − beta2^t). */
  bias2Sqrt: number;
  /** Added to the gradient as decay · p (Adam's L2), or 0. */
  l2Decay: number;
  /** p is first multiplied by this (AdamW's decoupled decay), or 1. */
  decayFactor: number;
}

/** Runs the fused update when the active backend has it; false when the caller must update with tensor ops. */
export function fusedAdamUpdate(p: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, t: AdamTerms): boolean {
  if (!tf.getKernel(FUSED_ADAM, tf.getBackend()) || g.dtype !== 'float32' || p.dtype !== 'float32') return false;
  const attrs: FusedAdamAttrs = {
    constants: [
      t.beta1,
      1 - t.beta1,
      t.beta2,
      1 - t.beta2,
      t.epsilon,
      t.stepSize,
      t.bias2Sqrt,
      t.l2Decay,
      t.decayFactor,
      t.l2Decay !== 0 ? 1 : 0,
      t.decayFactor !== 1 ? 1 : 0,
    ],
  };
  const result = tf.engine().runKernel(FUSED_ADAM, { p, g, m, v }, attrs as unknown as tf.NamedAttrMap) as
    | tf.Tensor
    | tf.Tensor[];
  const fresh = Array.isArray(result) ? result : [result];
  if (fresh.length === 3) {
    p.assign(fresh[0]!);
    m.assign(fresh[1]!);
    v.assign(fresh[2]!);
  }
  return true;
}
