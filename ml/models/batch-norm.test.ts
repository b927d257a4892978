/**
 * Loupe's BatchNormalization layer is tfjs's to everything outside its training pass: saved under
 * tfjs's class name, read back as Loupe's class, and, on a backend without the training kernels
 * (cpu here), trained by tfjs's own pass value for value. The kernels themselves are tested in
 * ml/backends/onednn/norm-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasBatchNormTrainingKernels } from '../backends/batch-norm-training';
import { BatchNormalization, batchNormalization } from './batch-norm';

function smallModel(layer: tf.layers.Layer): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3] });
  const output = layer.apply(
    tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'conv' }).apply(input),
  ) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

/** y and the gradients of Σ y·dy for every trainable weight, and the moving averages after. */
function trainOnce(model: tf.LayersModel): number[][] {
  return tf.tidy(() => {
    const x = tf.randomNormal([2, 4, 4, 3], 2, 3, 'float32', 7);
    const dy = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 8);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, dy)) as tf.Scalar,
    );
    const moving = model.getLayer('bn').weights.filter((w) => !w.trainable);
    return [value, ...Object.values(grads), ...moving.map((w) => w.read())].map((t) => Array.from(t.dataSync()));
  });
}

describe('Loupe’s BatchNormalization layer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is saved under tfjs’s class name and read back as Loupe’s class, weights and config kept', async () => {
    const model = smallModel(batchNormalization({ name: 'bn', momentum: 0.9, epsilon: 1e-3 }));
    const json = model.toJSON(null, false) as {
      config: { layers: { class_name: string; config: { momentum?: number } }[] };
    };
    const saved = json.config.layers.find((l) => l.class_name === 'BatchNormalization');
    expect(saved?.config.momentum).toBe(0.9);
    const restored = await tf.models.modelFromJSON({ modelTopology: json as never });
    restored.setWeights(model.getWeights());
    expect(restored.getLayer('bn')).toBeInstanceOf(BatchNormalization);
    const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 3);
    expect(Array.from((restored.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
  });

  it('trains exactly as tfjs’s own layer where the backend has no training kernels', () => {
    expect(hasBatchNormTrainingKernels()).toBe(false);
    const stock = smallModel(tf.layers.batchNormalization({ name: 'bn', momentum: 0.9 }));
    const loupe = smallModel(batchNormalization({ name: 'bn', momentum: 0.9 }));
    loupe.setWeights(stock.getWeights());
    expect(trainOnce(loupe)).toEqual(trainOnce(stock));
  });
});
