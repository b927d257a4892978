/**
 * From the CenterNet head's output to boxes in input pixels: a cell is a peak when it equals the
 * max of its 3×3 neighbourhood (CenterNet's _nms by max-pooling); the top-K peaks over all classes
 * become candidates, their size and offset read at the same cell. The candidates then go through
 * postprocessDetections (score threshold, NMS, max detections).
 */
import * as tf from '@tensorflow/tfjs';
import { clipBox } from './boxes';
import type { DetectionCandidates } from './postprocess';

export interface CenterNetDecodeArgs {
  numClasses: number;
  /** Input pixels per feature-map cell. */
  stride: number;
  /** Peaks kept per image before post-processing. Default 100 (CenterNet's K). */
  topK?: number;
  /** Clip boxes to this image size in pixels, when given. */
  imageWidth?: number;
  imageHeight?: number;
}

export const CENTERNET_DECODE_DEFAULTS = { topK: 100 } as const;

/** Candidates with the output cell each came from (`y · W + x`), which explanations differentiate at. */
export interface CenterNetCandidates extends DetectionCandidates {
  cells: Int32Array;
}

/** One DetectionCandidates per image of the batch `output` [B, H, W, numClasses + 4]. */
export async function decodeCenterNet(output: tf.Tensor4D, args: CenterNetDecodeArgs): Promise<CenterNetCandidates[]> {
  const [batch, h, w, channels] = output.shape;
  const c = args.numClasses;
  if (channels !== c + 4)
    throw new RangeError(`A CenterNet output for ${c} classes has ${c + 4} channels; got ${channels}.`);
  const k = Math.min(args.topK ?? CENTERNET_DECODE_DEFAULTS.topK, h * w * c);
  const [peaks, regression] = tf.tidy(() => {
    const [heat, reg] = tf.split(output, [c, 4], -1) as [tf.Tensor4D, tf.Tensor4D];
    const pooled = tf.maxPool(heat, 3, 1, 'same');
    const kept = tf.mul(heat, tf.cast(tf.equal(heat, pooled), 'float32'));
    return [tf.topk(tf.reshape(kept, [batch, h * w * c]), k), reg] as const;
  });
  try {
    const [scores, indices, reg] = await Promise.all([peaks.values.data(), peaks.indices.data(), regression.data()]);
    const out: CenterNetCandidates[] = [];
    for (let b = 0; b < batch; b++) {
      const boxes = new Float32Array(k * 4);
      const classIds = new Int32Array(k);
      const kept = new Float32Array(k);
      const cells = new Int32Array(k);
      for (let j = 0; j < k; j++) {
        const index = indices[b * k + j]!;
        const classId = index % c;
        const cell = (index - classId) / c;
        const x = cell % w;
        const y = (cell - x) / w;
        const at = ((b * h + y) * w + x) * 4;
        // The size channels are a plain regression: early in training they can go negative, which
        // would turn a box inside out (x2 < x1) and give it a negative area in NMS and the metrics.
        const [bw, bh, ox, oy] = [Math.max(0, reg[at]!), Math.max(0, reg[at + 1]!), reg[at + 2]!, reg[at + 3]!];
        const cx = (x + ox) * args.stride;
        const cy = (y + oy) * args.stride;
        let box: [number, number, number, number] = [
          cx - (bw * args.stride) / 2,
          cy - (bh * args.stride) / 2,
          cx + (bw * args.stride) / 2,
          cy + (bh * args.stride) / 2,
        ];
        if (args.imageWidth !== undefined && args.imageHeight !== undefined)
          box = [...clipBox(box, args.imageWidth, args.imageHeight)];
        boxes.set(box, 4 * j);
        classIds[j] = classId;
        kept[j] = scores[b * k + j]!;
        cells[j] = cell;
      }
      out.push({ boxes, scores: kept, classIds, cells });
    }
    return out;
  } finally {
    peaks.values.dispose();
    peaks.indices.dispose();
    regression.dispose();
  }
}
