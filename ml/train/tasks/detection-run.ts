/**
 * Detection training batches: each image augmented with its boxes (the boxes follow every
 * geometric change; ml/augment), then the CenterNet targets of the moved boxes at the model's
 * output stride. The running metric is the centre recall: the share of objects whose centre cell
 * is a peak of their class's heatmap scoring at least the run's score threshold.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from '../../../contract/index';
import { augmentSample } from '../../augment/augment';
import type { Box as AugmentBox } from '../../augment/spatial';
import type { Batch } from '../../data/batches';
import type { PreparedDataset, PreparedSample } from '../../data/dataset';
import { deriveSeed, SeededRandom, STREAM } from '../../data/random';
import {
  encodeCenterNetTargets,
  targetShape,
  type CenterNetGeometry,
  type DetectionObject,
} from '../../detection/centernet-targets';
import { detectorStride } from '../../detection/detect';
import { batchRanges, epochOrder } from '../../data/batches';
import { resolvedDetectionSettings } from './settings';
import type { ScoredModel } from '../scored-model';
import type { TaskRun } from './task-run';

export function detectionGeometry(data: PreparedDataset, model: ScoredModel): CenterNetGeometry {
  return {
    inputWidth: data.spec.columns,
    inputHeight: data.spec.rows,
    stride: detectorStride(model),
    numClasses: data.classes.length,
  };
}

/** Inputs and CenterNet targets of `samples[indices]`; `augment` moves each image with its boxes. */
export function detectionBatch(
  samples: readonly PreparedSample[],
  indices: readonly number[],
  data: PreparedDataset,
  geometry: CenterNetGeometry,
  augment?: (sample: PreparedSample, slot: number) => { image: Float32Array; objects: DetectionObject[] },
): Batch {
  const { rows, columns, channels } = data.spec;
  const pixels = rows * columns * channels;
  const [h, w, depth] = targetShape(geometry);
  const x = new Float32Array(indices.length * pixels);
  const y = new Float32Array(indices.length * h * w * depth);
  indices.forEach((index, slot) => {
    const sample = samples[index]!;
    const { image, objects } = augment ? augment(sample, slot) : { image: sample.image, objects: sample.boxes ?? [] };
    x.set(image, slot * pixels);
    y.set(encodeCenterNetTargets(objects, geometry), slot * h * w * depth);
  });
  return {
    x: tf.tensor4d(x, [indices.length, rows, columns, channels]),
    y: tf.tensor4d(y, [indices.length, h, w, depth]),
    size: indices.length,
  };
}

export function openDetectionRun(config: TrainingConfig, data: PreparedDataset, model: tf.LayersModel): TaskRun {
  const train = data.splits.train;
  const geometry = detectionGeometry(data, model);
  const ranges = batchRanges(train.length, config.batchSize);
  const { scoreThreshold } = resolvedDetectionSettings(config.detection);
  const { rows, columns, channels } = data.spec;
  return {
    metricName: 'centre_recall',
    splittable: false,
    batchesPerEpoch: ranges.length,
    epochBatches: (epoch) => {
      const order = epochOrder(train.length, config.seed, epoch);
      return ranges.map(([start, end]) => ({ indices: order.slice(start, end) }));
    },
    trainingBatch: (planned, epoch, batchIndex) =>
      detectionBatch(train, planned.indices, data, geometry, (sample, slot) => {
        const rng = new SeededRandom(
          deriveSeed(config.seed, STREAM.augment, epoch, batchIndex * config.batchSize + slot),
        );
        const boxes: AugmentBox[] = (sample.boxes ?? []).map((o) => ({
          x: o.box[0],
          y: o.box[1],
          width: o.box[2] - o.box[0],
          height: o.box[3] - o.box[1],
          label: o.classId,
        }));
        const out = augmentSample({ image: sample.image, rows, columns, channels, boxes }, config.augment, rng);
        return {
          image: out.image,
          objects: (out.boxes ?? []).map((b) => ({
            box: [b.x, b.y, b.x + b.width, b.y + b.height],
            classId: b.label!,
          })),
        };
      }),
    batchMetric: (outputs, targets, size) => centreRecall(outputs, targets, size, geometry, scoreThreshold),
  };
}

/**
 * Share of the batch's objects found at their centre: the predicted heatmap of the object's class
 * at its centre cell is the maximum of its 3×3 neighbourhood (what decoding calls a peak) and at
 * least `threshold`. Null for a batch without objects.
 */
export function centreRecall(
  outputs: Float32Array,
  targets: ArrayLike<number>,
  size: number,
  geometry: CenterNetGeometry,
  threshold: number,
): number | null {
  const [h, w, depth] = targetShape(geometry);
  const c = geometry.numClasses;
  const outDepth = c + 4;
  let objects = 0;
  let found = 0;
  for (let b = 0; b < size; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const cell = (b * h + y) * w + x;
        for (let k = 0; k < c; k++) {
          if (targets[cell * depth + k] !== 1) continue;
          objects++;
          const score = outputs[cell * outDepth + k]!;
          if (score < threshold) continue;
          let peak = true;
          for (let dy = -1; dy <= 1 && peak; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const [yy, xx] = [y + dy, x + dx];
              if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
              if (outputs[((b * h + yy) * w + xx) * outDepth + k]! > score) {
                peak = false;
                break;
              }
            }
          }
          if (peak) found++;
        }
      }
    }
  }
  return objects > 0 ? found / objects : null;
}
