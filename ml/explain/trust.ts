/**
 * Is the heatmap trustworthy? Deletion and insertion AUC (Petsiuk et al., 2018: remove or add input
 * pixels in heatmap order and follow the class probability) and the model-randomisation sanity
 * check (Adebayo et al., 2018: re-initialise the top layers; a faithful heatmap changes).
 */
import * as tf from '@tensorflow/tfjs';

/** Curve points: the probability after each of this many equal steps (plus the start). */
export const AUC_STEPS = 16;
/** A heatmap whose rank correlation with the randomised model's stays at or above this fails the check. */
export const SANITY_CORRELATION_LIMIT = 0.5;
/** Weighted layers re-initialised from the output down (the classifier and the last convolutions). */
export const RANDOMISED_TOP_LAYERS = 3;
/** Index of the moving variance among a batch-norm layer's weights (gamma, beta, mean, variance). */
const BATCH_NORM_VARIANCE = 3;
/** Spread of re-initialised weights where the trained ones are constant (zero biases). */
const MIN_RANDOM_SPREAD = 0.05;

/**
 * `order` ranks input pixels (rows × columns of the model input), most important first. Deletion
 * starts from the image and replaces pixels by `baseline`; insertion starts from the baseline and
 * restores them. `classIndex` follows a classifier's softmax probability of that class; a function
 * instead gives each input's probability from the model's batch output (segmentation: the mean
 * over a region). Returns the mean probability over the curve (trapezoid rule on [0, 1]).
 */
export async function deletionInsertionAuc(
  model: tf.LayersModel,
  input: Float32Array,
  shape: [number, number, number],
  order: Int32Array,
  classIndex: number | ((output: tf.Tensor) => tf.Tensor1D),
  baseline = 0,
): Promise<{ deletion: number; insertion: number }> {
  const [rows, columns, channels] = shape;
  const pixels = rows * columns;
  const batch = new Float32Array(2 * (AUC_STEPS + 1) * pixels * channels);
  for (let step = 0; step <= AUC_STEPS; step++) {
    const changed = Math.round((step / AUC_STEPS) * pixels);
    const deleted = batch.subarray(step * pixels * channels, (step + 1) * pixels * channels);
    const inserted = batch.subarray(
      (AUC_STEPS + 1 + step) * pixels * channels,
      (AUC_STEPS + 2 + step) * pixels * channels,
    );
    deleted.set(input);
    inserted.fill(baseline);
    for (let k = 0; k < changed; k++) {
      const p = order[k]! * channels;
      for (let c = 0; c < channels; c++) {
        deleted[p + c] = baseline;
        inserted[p + c] = input[p + c]!;
      }
    }
  }
  const probabilities = tf.tidy(() => {
    const output = model.predict(tf.tensor4d(batch, [2 * (AUC_STEPS + 1), rows, columns, channels])) as tf.Tensor;
    return typeof classIndex === 'number'
      ? tf.softmax(output as tf.Tensor2D).gather([classIndex], 1)
      : classIndex(output);
  });
  const p = (await probabilities.data()) as Float32Array;
  probabilities.dispose();
  const area = (from: number): number => {
    let sum = 0;
    for (let s = 0; s < AUC_STEPS; s++) sum += (p[from + s]! + p[from + s + 1]!) / 2;
    return sum / AUC_STEPS;
  };
  return { deletion: area(0), insertion: area(AUC_STEPS + 1) };
}

/** Pixel indices sorted by decreasing heatmap value (ties by index, so the order is stable). */
export function rankByHeatmap(values: Float32Array): Int32Array {
  const order = Int32Array.from(values.keys());
  return order.sort((a, b) => values[b]! - values[a]! || a - b);
}

function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    // Ties share their mean rank (as scipy.stats.spearmanr does).
    for (let k = i; k <= j; k++) out[order[k]!] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation; 0 when either side is constant (nothing to correlate). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const mean = (n - 1) / 2;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (ra[i]! - mean) * (rb[i]! - mean);
    va += (ra[i]! - mean) ** 2;
    vb += (rb[i]! - mean) ** 2;
  }
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
}

/**
 * Runs `use` while the top `layers` weighted layers of `model` (counted from the output) hold
 * seeded random weights of each tensor's own mean and spread, then puts the trained weights back.
 * Batch-norm variances keep their values: a random variance could be negative.
 */
export async function withRandomisedTop<T>(
  model: tf.LayersModel,
  layers: number,
  seed: number,
  use: () => Promise<T>,
): Promise<T> {
  const top = model.layers.filter((l) => l.getWeights().length > 0).slice(-layers);
  const saved = top.map((l) => l.getWeights().map((w) => w.clone()));
  try {
    top.forEach((layer, i) => {
      const isBatchNorm = layer.getClassName() === 'BatchNormalization';
      const random = tf.tidy(() =>
        saved[i]!.map((w, k) => {
          if (isBatchNorm && k === BATCH_NORM_VARIANCE) return w.clone();
          const { mean, variance } = tf.moments(w);
          const spread = tf.maximum(variance.sqrt(), MIN_RANDOM_SPREAD);
          return tf
            .randomNormal(w.shape, 0, 1, 'float32', seed + i * 31 + k)
            .mul(spread)
            .add(mean);
        }),
      );
      layer.setWeights(random);
      tf.dispose(random);
    });
    return await use();
  } finally {
    top.forEach((layer, i) => layer.setWeights(saved[i]!));
    tf.dispose(saved.flat());
  }
}
