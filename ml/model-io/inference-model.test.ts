import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig, TaskKind } from '../../contract/index';
import { buildModel, type InputShape } from '../models/index';
import { SeededRandom } from '../data/random';
import { inferenceModel } from './inference-model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Gives every batch norm trained-looking statistics and affine parameters: with the initial
 * ones (mean 0, variance 1, γ 1, β 0) folding is nearly the identity and a wrong fold would pass.
 */
function randomiseBatchNorms(model: tf.LayersModel, seed: number): void {
  const random = new SeededRandom(seed);
  const values = (n: number, low: number, high: number) =>
    Float32Array.from({ length: n }, () => low + (high - low) * random.next());
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(
      layer.getWeights().map((w, i) => {
        // gamma, beta, moving mean, moving variance.
        const [low, high] = [
          [0.5, 1.5],
          [-0.5, 0.5],
          [-0.3, 0.3],
          [0.2, 2],
        ][i]!;
        return tf.tensor(values(w.size, low!, high!), w.shape);
      }),
    );
  }
}

const cases: { name: string; task: TaskKind; config: ModelConfig; input: InputShape; classes: number }[] = [
  { name: 'small CNN', task: 'classification', config: { architecture: 'small-cnn' }, input: [32, 32, 1], classes: 3 },
  {
    name: 'ResNet-18 (small stem)',
    task: 'classification',
    config: { architecture: 'resnet18', baseFilters: 8, stem: 'small' },
    input: [32, 32, 3],
    classes: 3,
  },
  {
    name: 'MobileNetV2 α=0.35 (depthwise; ReLU6 kept apart)',
    task: 'classification',
    config: { architecture: 'mobilenet-v2', widthMultiplier: 0.35 },
    input: [32, 32, 3],
    classes: 2,
  },
  {
    name: 'U-Net',
    task: 'segmentation',
    config: { architecture: 'unet', depth: 2, baseFilters: 8, batchNorm: true },
    input: [32, 32, 1],
    classes: 3,
  },
  {
    name: 'CenterNet detector',
    task: 'detection',
    config: { architecture: 'centernet', backbone: { architecture: 'small-cnn' }, headChannels: 16 },
    input: [32, 32, 1],
    classes: 2,
  },
  {
    name: 'Siamese embedding',
    task: 'verification',
    config: { architecture: 'siamese', backbone: { architecture: 'small-cnn' }, embeddingDim: 16 },
    input: [32, 32, 1],
    classes: 0,
  },
];

describe('inferenceModel: batch norms folded into their convolutions', () => {
  for (const c of cases)
    it(`${c.name}: the same outputs within 1e-4, with fewer layers`, async () => {
      const model = buildModel(c.config, { task: c.task, inputShape: c.input, numClasses: c.classes, seed: 3 });
      randomiseBatchNorms(model, 11);
      const folded = await inferenceModel(model);
      try {
        const batchNorms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
        expect(batchNorms).toBeGreaterThan(0);
        expect(folded.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(0);
        expect(folded.layers.length).toBeLessThan(model.layers.length);
        // Built without drawing random initial weights: each is set from the trained model.
        const initializers = folded.layers.flatMap((l) =>
          Object.entries(l.getConfig()).filter(([key, value]) => key.endsWith('Initializer') && value),
        );
        expect(initializers.length).toBeGreaterThan(0);
        for (const [, value] of initializers) expect((value as { className: string }).className).toBe('Zeros');
        const input = tf.randomNormal([3, ...c.input], 0, 1, 'float32', 5);
        const outputs = (x: tf.LayersModel) => [x.predict(input)].flat() as tf.Tensor[];
        const [expected, actual] = [outputs(model), outputs(folded)];
        expect(actual.map((t) => t.shape)).toEqual(expected.map((t) => t.shape));
        for (let i = 0; i < expected.length; i++) {
          const e = await expected[i]!.data();
          const a = await actual[i]!.data();
          const scale = Math.max(1, ...Array.from(e, Math.abs));
          const diff = Math.max(...Array.from(e, (v, j) => Math.abs(v - a[j]!)));
          expect(diff / scale).toBeLessThan(1e-4);
        }
        tf.dispose([input, ...expected, ...actual]);
      } finally {
        if (folded !== model) folded.dispose();
        model.dispose();
      }
    });

  it('keeps the trained model untouched: its layers and weights are still there', async () => {
    const model = buildModel(
      { architecture: 'small-cnn' },
      { task: 'classification', inputShape: [16, 16, 1], numClasses: 2, seed: 1 },
    );
    const names = model.layers.map((l) => l.name);
    const before = await model.getWeights()[0]!.data();
    const folded = await inferenceModel(model);
    folded.dispose();
    expect(model.layers.map((l) => l.name)).toEqual(names);
    expect(await model.getWeights()[0]!.data()).toEqual(before);
    model.dispose();
  });
});
