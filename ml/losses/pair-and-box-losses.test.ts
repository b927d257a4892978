/** The detection and verification losses as the registry makes them for the engine's batches. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lossConfigSchema } from '../../contract/index';
import { centerNetLoss } from '../detection/losses';
import { createLoss } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const value = (t: tf.Scalar): number => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

describe('registered detection and verification losses', () => {
  it("centernet is the CenterNet objective for the task's classes, with the config's weights", () => {
    const config = lossConfigSchema.parse({ name: 'centernet', sizeLoss: 'giou', offsetWeight: 0.5 });
    const loss = createLoss(config, { task: 'detection', numClasses: 2, outputChannels: 6 });
    const target = tf.tidy(() =>
      tf.concat(
        [tf.zeros([1, 4, 4, 2]), tf.ones([1, 4, 4, 2]).mul(2), tf.ones([1, 4, 4, 2]).mul(0.5), tf.ones([1, 4, 4, 1])],
        -1,
      ),
    );
    const predicted = tf.randomUniform([1, 4, 4, 6], 0.1, 0.9, 'float32', 2);
    expect(value(loss(target, predicted))).toBeCloseTo(
      value(centerNetLoss({ numClasses: 2, sizeLoss: 'giou', offsetWeight: 0.5 })(target, predicted)),
      6,
    );
    expect(() => createLoss(config, { task: 'detection', numClasses: 3, outputChannels: 6 })).toThrow(
      /needs 7 output channels/,
    );
    expect(() => createLoss(config, { task: 'classification', numClasses: 2, outputChannels: 2 })).toThrow(
      /The centernet loss is for detection, not classification/,
    );
    tf.dispose([target, predicted]);
  });

  it('contrastive counts only the known pairs of a relation, same and different averaged apart', () => {
    const loss = createLoss(lossConfigSchema.parse({ name: 'contrastive', margin: 1 }), {
      task: 'verification',
      numClasses: 0,
      outputChannels: 2,
    });
    // Unit vectors at 0°, 60° and 180°: distances 1 (0–1), 2 (0–2), √3 (1–2).
    const e = tf.tensor2d([
      [1, 0],
      [0.5, Math.sqrt(3) / 2],
      [-1, 0],
    ]);
    // Known: 0–1 same, 0–2 different; 1–2 unknown.
    const relation = tf.tensor2d([
      [0, 1, -1],
      [1, 0, 0],
      [-1, 0, 0],
    ]);
    // Pull: d² = 1 over the same pair; push: max(0, 1 − 2)² = 0 over the different pair.
    expect(value(loss(relation, e))).toBeCloseTo(1, 5);
    const triplet = createLoss(lossConfigSchema.parse({ name: 'batch-hard-triplet', margin: 0.5 }), {
      task: 'verification',
      numClasses: 0,
      outputChannels: 2,
    });
    // Only anchor 0 has both: max(0, 1 − 2 + 0.5) = 0; make the negative closer to see it count.
    expect(value(triplet(relation, e))).toBeCloseTo(0, 5);
    const closer = tf.tensor2d([
      [0, 1, 0],
      [1, 0, -1],
      [0, -1, 0],
    ]);
    // Anchor 1: positive 0 at 1, negative 2 at √3 → max(0, 1 − √3 + 0.5) = 0; margin 1 → 1 − √3 + 1.
    const wide = createLoss(lossConfigSchema.parse({ name: 'batch-hard-triplet', margin: 1 }), {
      task: 'verification',
      numClasses: 0,
      outputChannels: 2,
    });
    expect(value(wide(closer, e))).toBeCloseTo(2 - Math.sqrt(3), 5);
    tf.dispose([e, relation, closer]);
  });
});
