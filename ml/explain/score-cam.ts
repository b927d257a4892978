/**
 * Score-CAM (Wang et al., 2020): gradient-free. Each channel of the target feature map, upsampled
 * bilinearly to the input and min–max normalised, masks the input; the channel's weight is the
 * class's softmax probability for that masked input, and the map is the ReLU of the weighted sum
 * of the channels (at feature resolution, like the other CAM methods).
 */
import * as tf from '@tensorflow/tfjs';
import { normalise, type FeatureHeatmap } from './cam';
import type { SplitModel } from './layer-split';

/**
 * Masked inputs per forward pass: one pass per chunk rather than per channel, small enough that a
 * chunk of 224×224×3 inputs and the backbone's activations stay within a few hundred MB.
 */
export const SCORE_CAM_CHUNK = 32;

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
        const masked = input.mul(masks.transpose([3, 1, 2, 0]));
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
  }
}
