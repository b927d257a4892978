/**
 * A segmentation model's per-class probabilities on the frame's own pixels, for the contours
 * Review draws: sampled bilinearly at each source pixel's centre through the card's placement,
 * as the Seg-Grad-CAM heatmap is, so a contour lies on the image at any zoom.
 */
import type { Placement } from '../data/resize';
import { heatmapOnFrame } from '../explain/heatmap-on-frame';
import { softmaxRow } from './outputs';

/**
 * Class after class (`classCount × rows × columns`) at the model's input size. One channel is a
 * sigmoid over two classes: the background's probability is 1 − q.
 */
export function classProbabilities(
  logits: Float32Array,
  offset: number,
  pixels: number,
  channels: number,
  classCount: number,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(classCount * pixels);
  for (let p = 0; p < pixels; p++) {
    if (channels === 1) {
      const q = 1 / (1 + Math.exp(-logits[offset + p]!));
      out[p] = 1 - q;
      if (classCount > 1) out[pixels + p] = q;
      continue;
    }
    const row = softmaxRow(logits, offset + p * channels, channels);
    for (let c = 0; c < classCount; c++) out[c * pixels + p] = row[c] ?? 0;
  }
  return out;
}

/** Each class's map moved from the model's input onto the frame (padding cropped, resized). */
export function probabilitiesOnFrame(
  maps: Float32Array,
  classCount: number,
  input: { rows: number; columns: number },
  placement: Placement,
  frame: { rows: number; columns: number },
): Float32Array<ArrayBuffer> {
  const pixels = input.rows * input.columns;
  const framePixels = frame.rows * frame.columns;
  const out = new Float32Array(classCount * framePixels);
  for (let c = 0; c < classCount; c++) {
    const values = maps.subarray(c * pixels, (c + 1) * pixels);
    out.set(
      heatmapOnFrame({ values, rows: input.rows, columns: input.columns }, input, placement, frame).values,
      c * framePixels,
    );
  }
  return out;
}
