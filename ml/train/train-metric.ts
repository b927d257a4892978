/**
 * The running training metric shown while a run trains: batch accuracy for classification, and
 * for segmentation the foreground Dice of the batch's pixels pooled (all foreground classes).
 */
import { argmax } from '../metrics/classification';

export type MetricName = 'accuracy' | 'dice';

export function batchMetric(
  name: MetricName,
  logits: Float32Array,
  targets: ArrayLike<number>,
  batchSize: number,
): number {
  if (name === 'accuracy') {
    const channels = logits.length / batchSize;
    let correct = 0;
    for (let b = 0; b < batchSize; b++) {
      const predicted = channels === 1 ? (logits[b]! > 0 ? 1 : 0) : argmax(logits, b * channels, channels);
      if (predicted === targets[b]) correct++;
    }
    return correct / batchSize;
  }
  const channels = logits.length / targets.length;
  let tp = 0;
  let wrong = 0;
  for (let p = 0; p < targets.length; p++) {
    const predicted = channels === 1 ? (logits[p]! > 0 ? 1 : 0) : argmax(logits, p * channels, channels);
    const truth = targets[p]!;
    if (predicted === truth) {
      if (truth > 0) tp++;
    } else {
      // A wrong pixel is a false positive of one foreground class and/or a false negative of another.
      if (predicted > 0) wrong++;
      if (truth > 0) wrong++;
    }
  }
  // Nothing to find and nothing found: a perfect batch.
  return 2 * tp + wrong === 0 ? 1 : (2 * tp) / (2 * tp + wrong);
}
