/**
 * CenterNet's objective as a tf function (yTrue, yPred) → scalar, registered by name in
 * ml/losses/pair-and-box-losses.ts: penalty-reduced focal loss on the heatmaps + size loss (L1,
 * or GIoU on the boxes: 1 − GIoU, mean over boxes [N, 4] as x1, y1, x2, y2) + L1 offset loss.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossFunction } from '../losses/registry';

/** Heatmap predictions are clamped away from 0 and 1 before the logs (CenterNet's _sigmoid). */
const HEATMAP_CLAMP = 1e-4;
/** Focal loss exponents from CornerNet/CenterNet: α on the prediction, β on the Gaussian. */
export const FOCAL_ALPHA = 2;
export const FOCAL_BETA = 4;

/**
 * Penalty-reduced pixel-wise focal loss (CornerNet eq. 1, CenterNet eq. 1): at a peak (target 1)
 * −(1 − p)^α log p; elsewhere −(1 − y)^β p^α log(1 − p), so cells near a centre are punished
 * less for firing. Summed, divided by the number of peaks (at least 1).
 */
export function focalHeatmapLoss(
  target: tf.Tensor,
  predicted: tf.Tensor,
  alpha = FOCAL_ALPHA,
  beta = FOCAL_BETA,
): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(predicted, HEATMAP_CLAMP, 1 - HEATMAP_CLAMP);
    const positive = tf.cast(tf.equal(target, 1), 'float32');
    const negative = tf.sub(1, positive);
    const positiveLoss = tf.mul(tf.mul(tf.log(p), tf.pow(tf.sub(1, p), alpha)), positive);
    const negativeLoss = tf.mul(
      tf.mul(tf.mul(tf.log(tf.sub(1, p)), tf.pow(p, alpha)), tf.pow(tf.sub(1, target), beta)),
      negative,
    );
    const peaks = tf.maximum(tf.sum(positive), 1);
    return tf.neg(tf.div(tf.add(tf.sum(positiveLoss), tf.sum(negativeLoss)), peaks)) as tf.Scalar;
  });
}

/** Corners [.., 4] of boxes given as centre offset (x, y) and size (w, h), relative to their cell. */
function cornersFromOffsetSize(offset: tf.Tensor, size: tf.Tensor): tf.Tensor {
  const half = tf.div(size, 2);
  return tf.concat([tf.sub(offset, half), tf.add(offset, half)], -1);
}

/** GIoU of box pairs [..., 4] → [...]; degenerate enclosing boxes give 0. */
export function giouOf(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [ax1, ay1, ax2, ay2] = tf.unstack(a, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [bx1, by1, bx2, by2] = tf.unstack(b, -1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const area = (x1: tf.Tensor, y1: tf.Tensor, x2: tf.Tensor, y2: tf.Tensor) =>
      tf.mul(tf.relu(tf.sub(x2, x1)), tf.relu(tf.sub(y2, y1)));
    const inter = area(tf.maximum(ax1, bx1), tf.maximum(ay1, by1), tf.minimum(ax2, bx2), tf.minimum(ay2, by2));
    const union = tf.sub(tf.add(area(ax1, ay1, ax2, ay2), area(bx1, by1, bx2, by2)), inter);
    const enclosing = area(tf.minimum(ax1, bx1), tf.minimum(ay1, by1), tf.maximum(ax2, bx2), tf.maximum(ay2, by2));
    const tiny = 1e-7; // keeps 0/0 out of the gradient; changes GIoU by < 1e-6 for boxes over a cell
    const iouValue = tf.div(inter, tf.add(union, tiny));
    return tf.sub(iouValue, tf.div(tf.sub(enclosing, union), tf.add(enclosing, tiny)));
  });
}

/** 1 − GIoU averaged over boxes [N, 4] ([x1, y1, x2, y2]). */
export function giouLoss(boxesTrue: tf.Tensor, boxesPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(1, giouOf(boxesTrue, boxesPred))) as tf.Scalar);
}

/** Mean absolute coordinate error over boxes [N, 4]. */
export function l1BoxLoss(boxesTrue: tf.Tensor, boxesPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(boxesTrue, boxesPred))) as tf.Scalar);
}

export interface CenterNetLossConfig {
  numClasses: number;
  /** 'l1' on (w, h) as CenterNet, or 'giou' on the boxes the cell predicts. Default 'l1'. */
  sizeLoss?: 'l1' | 'giou';
  /** Weight of the size term. Default 0.1 for L1 (CenterNet's λ_size), 1 for GIoU. */
  sizeWeight?: number;
  /** Weight of the offset term. Default 1 (CenterNet's λ_off). */
  offsetWeight?: number;
}

export interface CenterNetLossParts {
  heatmap: tf.Scalar;
  size: tf.Scalar;
  offset: tf.Scalar;
  total: tf.Scalar;
}

/**
 * The three CenterNet terms on a batch: target [B, H, W, C + 5] (centernet-targets.ts) and
 * prediction [B, H, W, C + 4] (centernet-head.ts). Regression terms count only the cells whose
 * mask is 1, averaged per object (L1 per coordinate, as CenterNet's RegL1Loss).
 */
export function centerNetLossParts(
  target: tf.Tensor,
  predicted: tf.Tensor,
  config: CenterNetLossConfig,
): CenterNetLossParts {
  const c = config.numClasses;
  const sizeLoss = config.sizeLoss ?? 'l1';
  const sizeWeight = config.sizeWeight ?? (sizeLoss === 'l1' ? 0.1 : 1);
  const offsetWeight = config.offsetWeight ?? 1;
  if (target.shape[3] !== c + 5 || predicted.shape[3] !== c + 4) {
    throw new RangeError(
      `CenterNet loss for ${c} classes needs targets with ${c + 5} channels and predictions with ${c + 4}; got ${target.shape[3]} and ${predicted.shape[3]}.`,
    );
  }
  return tf.tidy(() => {
    const [heatTrue, sizeTrue, offsetTrue, mask] = tf.split(target, [c, 2, 2, 1], -1) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const [heatPred, sizePred, offsetPred] = tf.split(predicted, [c, 2, 2], -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const objects = tf.sum(mask);
    const perObject = (perCell: tf.Tensor, valuesPerObject: number) =>
      tf.div(tf.sum(tf.mul(perCell, mask)), tf.add(tf.mul(objects, valuesPerObject), 1e-4));
    const heatmap = focalHeatmapLoss(heatTrue, heatPred);
    const offset = perObject(tf.abs(tf.sub(offsetPred, offsetTrue)), 2);
    const size =
      sizeLoss === 'l1'
        ? perObject(tf.abs(tf.sub(sizePred, sizeTrue)), 2)
        : perObject(
            tf.sub(
              1,
              tf.expandDims(
                giouOf(cornersFromOffsetSize(offsetTrue, sizeTrue), cornersFromOffsetSize(offsetPred, sizePred)),
                -1,
              ),
            ),
            1,
          );
    const total = tf.add(tf.add(heatmap, tf.mul(size, sizeWeight)), tf.mul(offset, offsetWeight));
    return { heatmap, size: size as tf.Scalar, offset: offset as tf.Scalar, total: total as tf.Scalar };
  });
}

export function centerNetLoss(config: CenterNetLossConfig): LossFunction {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const parts = centerNetLossParts(yTrue, yPred, config);
      return parts.total;
    });
}
