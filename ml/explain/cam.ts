/**
 * Grad-CAM (Selvaraju et al., 2017), Grad-CAM++ (Chattopadhyay et al., 2018) and LayerCAM (Jiang
 * et al., 2021) at feature resolution. Grad-CAM++ uses the closed form for the second and third
 * derivatives that holds when the score is passed through exp (as in the paper and
 * pytorch-grad-cam), so only the gradient is needed. LayerCAM weights each location by its own
 * positive gradient instead of one number per channel, so a score that depends on one place (a
 * detector's box) keeps its map there.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradientCamMethodName } from '../../contract/index';
import type { SplitModel } from './layer-split';

export type GradientCamMethod = GradientCamMethodName;

/** Keeps Grad-CAM++'s α finite where the denominator vanishes. */
const ALPHA_EPSILON = 1e-7;

export interface FeatureHeatmap {
  /** Row-major, `rows × columns`, ReLU-ed and scaled to [0, 1] (all zeros when nothing is positive). */
  values: Float32Array;
  rows: number;
  columns: number;
}

/** The score to explain from the model's output for one image (batch of 1). */
export type ScoreOf = (output: tf.Tensor) => tf.Scalar;

/**
 * A class logit of a classifier. Picked with a one-hot product rather than `gather`: gather's
 * gradient (UnsortedSegmentSum) has no kernel on the wasm backend the engine falls back to.
 */
export function classLogit(classIndex: number): ScoreOf {
  return (output) => {
    const logits = output.reshape([-1]);
    return logits.mul(tf.oneHot([classIndex], logits.size).reshape([-1])).sum() as tf.Scalar;
  };
}

function channelWeights(method: 'gradcam' | 'gradcam++', activations: tf.Tensor3D, grads: tf.Tensor3D): tf.Tensor1D {
  if (method === 'gradcam') return grads.mean([0, 1]) as tf.Tensor1D;
  const g2 = grads.square();
  const g3 = g2.mul(grads);
  const activationSums = activations.sum([0, 1]);
  const alpha = g2.div(g2.mul(2).add(g3.mul(activationSums)).add(ALPHA_EPSILON));
  const alphaWhereGradient = tf.where(grads.notEqual(0), alpha, tf.zerosLike(alpha));
  return alphaWhereGradient.mul(grads.relu()).sum([0, 1]) as tf.Tensor1D;
}

/** Min–max normalisation after ReLU, as the reference implementations do. */
export function normalise(map: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of map) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  return map.map((v) => (range > 0 ? (v - lo) / range : 0));
}

/** One image (`input` is [1, H, W, C]); returns the map at the target layer's resolution. */
export async function gradientCam(
  split: SplitModel,
  input: tf.Tensor4D,
  score: ScoreOf,
  method: GradientCamMethod,
): Promise<FeatureHeatmap> {
  const cam = tf.tidy(() => {
    const { featureMap, context } = split.features(input);
    const grads = tf.grad((a: tf.Tensor) => score(split.head(a as tf.Tensor4D, context)))(featureMap);
    const activations = featureMap.squeeze([0]) as tf.Tensor3D;
    const gradients = grads.squeeze([0]) as tf.Tensor3D;
    // LayerCAM: ReLU(Σ_c ReLU(∂score/∂A_c(x, y)) · A_c(x, y)), a weight per channel and location.
    const weights = method === 'layercam' ? gradients.relu() : channelWeights(method, activations, gradients);
    return activations.mul(weights).sum(2).relu() as tf.Tensor2D;
  });
  const [rows, columns] = cam.shape;
  const values = normalise((await cam.data()) as Float32Array);
  cam.dispose();
  return { values, rows, columns };
}

/** CAM (Zhou et al., 2016) for a global-average-pooling + dense head: the dense kernel weights the last feature map. */
export async function classActivationMap(
  split: SplitModel,
  input: tf.Tensor4D,
  denseKernel: tf.Tensor2D,
  classIndex: number,
): Promise<FeatureHeatmap> {
  const cam = tf.tidy(() => {
    const { featureMap } = split.features(input);
    const weights = denseKernel.gather([classIndex], 1).reshape([-1]);
    return featureMap.squeeze([0]).mul(weights).sum(2).relu() as tf.Tensor2D;
  });
  const [rows, columns] = cam.shape;
  // Read asynchronously: WebGPU in Node has no synchronous read (it needs an OffscreenCanvas).
  const values = normalise((await cam.data()) as Float32Array);
  cam.dispose();
  return { values, rows, columns };
}
