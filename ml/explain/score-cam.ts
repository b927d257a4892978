/**
 * Score-CAM (Wang et al., 2020): gradient-free. Each channel of the target feature map, upsampled
 * bilinearly to the input and min–max normalised, masks the input; the channel's weight is the
 * class's softmax probability for that masked input, and the map is the ReLU of the weighted sum
 * of the channels (at feature resolution, like the other CAM methods).
 *
 * Where a mask is low the input fades to a Gaussian blur of itself, not to zero (the blurred
 * baseline of Fong & Vedaldi's meaningful perturbations). Fading to zero cuts a region out of its
 * surroundings, and a class that is defined against its surroundings (a lesion brighter than the
 * tissue around it) is then seen nowhere: on the pointing-game scans a zero baseline gave every
 * lesion channel a weight near 0 and put the peak outside the lesion on 29 of 29 images; the blur
 * keeps the context and puts it inside on 29 of 29 (tests/integration/explain-pointing-game.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { normalise, type FeatureHeatmap } from './cam';
import type { SplitModel } from './layer-split';

/**
 * Masked inputs per forward pass: one pass per chunk rather than per channel, small enough that a
 * chunk of 224×224×3 inputs and the backbone's activations stay within a few hundred MB.
 */
export const SCORE_CAM_CHUNK = 32;

/** The baseline blur's standard deviation as a share of the input's shorter side: wide enough to wash out a lesion-sized detail. */
export const SCORE_CAM_BLUR_SHARE = 1 / 16;

/** The input blurred by a separable Gaussian (σ = SCORE_CAM_BLUR_SHARE of the shorter side), edges reflected. */
export function blurredBaseline(input: tf.Tensor4D): tf.Tensor4D {
  const [, rows, columns, channels] = input.shape;
  const sigma = SCORE_CAM_BLUR_SHARE * Math.min(rows, columns);
  // Three σ hold 99.7 % of the weight; reflection needs the pad shorter than the side.
  const radius = Math.min(Math.ceil(3 * sigma), Math.min(rows, columns) - 1);
  if (radius < 1) return input.clone();
  const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = taps.reduce((a, b) => a + b, 0);
  return tf.tidy(() => {
    const kernel = tf.tensor1d(taps.map((t) => t / total));
    const vertical = kernel.reshape([2 * radius + 1, 1, 1, 1]).tile([1, 1, channels, 1]) as tf.Tensor4D;
    const horizontal = kernel.reshape([1, 2 * radius + 1, 1, 1]).tile([1, 1, channels, 1]) as tf.Tensor4D;
    const pad: [number, number][] = [
      [0, 0],
      [radius, radius],
      [radius, radius],
      [0, 0],
    ];
    const padded = tf.mirrorPad(input, pad, 'reflect');
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, vertical, 1, 'valid'), horizontal, 1, 'valid');
  });
}

/** One image (`input` is [1, H, W, C]); `onChunk` runs between chunks (cancellation, progress). */
export async function scoreCam(
  model: tf.LayersModel,
  split: SplitModel,
  input: tf.Tensor4D,
  classIndex: number,
  onChunk?: () => Promise<void>,
  chunk = SCORE_CAM_CHUNK,
): Promise<FeatureHeatmap> {
  const [, rows, columns] = input.shape;
  const activations = tf.tidy(() => split.features(input).featureMap);
  const baseline = blurredBaseline(input);
  const detail = input.sub(baseline);
  const [, featureRows, featureColumns, channels] = activations.shape;
  const weights = new Float32Array(channels);
  try {
    for (let start = 0; start < channels; start += chunk) {
      const count = Math.min(chunk, channels - start);
      const scores = tf.tidy(() => {
        const maps = activations.slice([0, 0, 0, start], [1, featureRows, featureColumns, count]);
        // Half-pixel centres without corner alignment: the sampling of torch's bilinear interpolate.
        const upsampled = tf.image.resizeBilinear(maps, [rows, columns], false, true);
        const lo = upsampled.min([1, 2], true);
        const range = upsampled.max([1, 2], true).sub(lo);
        // A constant channel carries no location: its mask is all zeros (range 0 divided by 1).
        const masks = upsampled.sub(lo).div(range.add(range.equal(0).cast('float32')));
        const masked = baseline.add(detail.mul(masks.transpose([3, 1, 2, 0])));
        const logits = model.predict(masked) as tf.Tensor2D;
        return tf.softmax(logits).slice([0, classIndex], [count, 1]).reshape([count]);
      });
      weights.set((await scores.data()) as Float32Array, start);
      scores.dispose();
      await onChunk?.();
    }
    const cam = tf.tidy(() => activations.squeeze([0]).mul(tf.tensor1d(weights)).sum(2).relu() as tf.Tensor2D);
    const values = normalise((await cam.data()) as Float32Array);
    cam.dispose();
    return { values, rows: featureRows, columns: featureColumns };
  } finally {
    activations.dispose();
    baseline.dispose();
    detail.dispose();
  }
}
