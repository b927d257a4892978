/**
 * Adam's update as one kernel, for backends that register it (the oneDNN backend does, see
 * ml/backends/onednn/optimizer-kernels.ts): p, m and v are updated in one pass, in place where
 * no other tensor shares their buffers. The constants are those optimizers.ts would round to
 * float32 tensors, so both paths compute the same values.
 */
import * as tf from '@tensorflow/tfjs';

export const FUSED_ADAM = 'LoupeFusedAdam';
/**
 * Two parameters' updates in one kernel, for backends that register it (WebGPU: one GPU program,
 * in place). Inputs p0, g0, m0, v0, p1, g1, m1, v1; attrs FusedAdamPairAttrs; outputs none when
 * it updated in place, else the six new values p0, m0, v0, p1, m1, v1.
 */
export const FUSED_ADAM_PAIR = 'LoupeFusedAdamPair';

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

export interface FusedAdamPairAttrs {
  constants0: number[];
  constants1: number[];
}

/** One parameter's update: the parameter, its gradient, Adam's two moments and the step's terms. */
export interface AdamUpdate {
  p: tf.Variable;
  g: tf.Tensor;
  m: tf.Variable;
  v: tf.Variable;
  terms: AdamTerms;
}

function constantsOf(t: AdamTerms): number[] {
  return [
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
  ];
}

/** True when the active backend updates two parameters in one kernel and `update` is one it takes. */
export function pairsAdamUpdates(update: AdamUpdate): boolean {
  const backend = tf.getBackend();
  return (
    tf.getKernel(FUSED_ADAM_PAIR, backend) !== undefined &&
    tf.getKernel(FUSED_ADAM, backend) !== undefined &&
    update.g.dtype === 'float32' &&
    update.p.dtype === 'float32'
  );
}

/** Runs two updates that pairsAdamUpdates took in one kernel. */
export function fusedAdamPairUpdate(a: AdamUpdate, b: AdamUpdate): void {
  const inputs = { p0: a.p, g0: a.g, m0: a.m, v0: a.v, p1: b.p, g1: b.g, m1: b.m, v1: b.v };
  const attrs: FusedAdamPairAttrs = { constants0: constantsOf(a.terms), constants1: constantsOf(b.terms) };
  const fresh = tf.engine().runKernel(FUSED_ADAM_PAIR, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  if (fresh.length === 6) [a.p, a.m, a.v, b.p, b.m, b.v].forEach((variable, i) => variable.assign(fresh[i]!));
}

/** Runs the fused update when the active backend has it; false when the caller must update with tensor ops. */
export function fusedAdamUpdate(p: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, t: AdamTerms): boolean {
  if (!tf.getKernel(FUSED_ADAM, tf.getBackend()) || g.dtype !== 'float32' || p.dtype !== 'float32') return false;
  const attrs: FusedAdamAttrs = { constants: constantsOf(t) };
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
