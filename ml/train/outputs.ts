/**
 * From model logits to what users see: class probabilities, and class masks mapped back onto
 * the frame they came from.
 */
import { argmax } from '../metrics/classification';
import { crop, resizeNearestMask, type Placement } from '../data/resize';

/** Softmax of one row of logits (numerically stable: the row's maximum is subtracted first). */
export function softmaxRow(logits: ArrayLike<number>, offset: number, length: number): number[] {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, logits[offset + i]!);
  // Plain loops: a batch run takes this for every frame, and segmentation's maps for every pixel.
  const out = new Array<number>(length);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const e = Math.exp(logits[offset + i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < length; i++) out[i] = out[i]! / sum;
  return out;
}

/** Class per pixel of one image's logits (rows × columns × channels); one channel means sigmoid > 0.5. */
export function classMap(
  logits: Float32Array,
  offset: number,
  pixels: number,
  channels: number,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    out[p] = channels === 1 ? (logits[offset + p]! > 0 ? 1 : 0) : argmax(logits, offset + p * channels, channels);
  }
  return out;
}

/** A class map at the model's input size, back on the frame (padding cropped, then resized). */
export function maskOnFrame(
  map: Uint8Array,
  inputColumns: number,
  placement: Placement,
  frameRows: number,
  frameColumns: number,
): Uint8Array<ArrayBuffer> {
  const content = crop(Float32Array.from(map), inputColumns, 1, placement);
  const bytes = Uint8Array.from(content);
  if (placement.height === frameRows && placement.width === frameColumns) return bytes;
  return resizeNearestMask(bytes, placement.height, placement.width, frameRows, frameColumns);
}

export function classPixelCounts(mask: Uint8Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const v of mask) counts[v]! += 1;
  return counts;
}

/**
 * Mean per-pixel entropy (nats) of one image's segmentation logits: how unsure the model is of
 * the mask as a whole, for choosing what to label next. One channel is a sigmoid (two classes).
 */
export function meanPixelEntropy(logits: Float32Array, offset: number, pixels: number, channels: number): number {
  let total = 0;
  for (let p = 0; p < pixels; p++) {
    if (channels === 1) {
      const q = 1 / (1 + Math.exp(-logits[offset + p]!));
      total += (q > 0 ? -q * Math.log(q) : 0) + (q < 1 ? -(1 - q) * Math.log(1 - q) : 0);
      continue;
    }
    total += softmaxEntropy(logits, offset + p * channels, channels);
  }
  return pixels > 0 ? total / pixels : 0;
}

/** Entropy of softmax(z) as logsumexp(z) − Σ softmax(z)·z: no array per pixel (this runs on every pixel of a batch). */
function softmaxEntropy(logits: Float32Array, offset: number, length: number): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < length; i++) {
    const z = logits[offset + i]! - max;
    const e = Math.exp(z);
    sum += e;
    weighted += e * z;
  }
  return Math.log(sum) - weighted / sum;
}
