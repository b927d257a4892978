/** The detection and Siamese builders on each of the engine's backbones. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackboneConfig } from '../../contract/index';
import { buildCenterNetDetector, buildModel, buildSiameseEmbedding, HEAD_PREFIX } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const backbones: [string, BackboneConfig][] = [
  ['small CNN', { architecture: 'small-cnn', filters: [4, 8, 8] }],
  ['ResNet-18 (small stem)', { architecture: 'resnet18', baseFilters: 4, stem: 'small' }],
  ['MobileNetV2 α=0.35', { architecture: 'mobilenet-v2', widthMultiplier: 0.35 }],
];

describe('CenterNet detector', () => {
  it.each(backbones)(
    'on the %s gives [batch, H/4, W/4, classes + 4], its neck and head marked as head layers',
    (_name, backbone) => {
      const model = buildCenterNetDetector({ inputShape: [64, 96, 1], numClasses: 3, backbone, headChannels: 8 });
      const output = tf.tidy(() => (model.predict(tf.zeros([2, 64, 96, 1])) as tf.Tensor).shape);
      expect(output).toEqual([2, 16, 24, 7]);
      const heads = model.layers.filter((l) => l.name.startsWith(HEAD_PREFIX));
      expect(heads.some((l) => l.name.includes('centernet_heatmap'))).toBe(true);
      // Everything after the backbone's deepest map is new: upsampling layers are head layers.
      expect(
        model.layers.filter((l) => l.getClassName() === 'UpSampling2D').every((l) => l.name.startsWith(HEAD_PREFIX)),
      ).toBe(true);
      model.dispose();
    },
  );

  it("heatmaps start near CenterNet's prior of 0.1 and weights are the same for the same seed", () => {
    const build = (seed: number) =>
      buildCenterNetDetector({
        inputShape: [32, 32, 1],
        numClasses: 2,
        backbone: backbones[0]![1],
        headChannels: 4,
        seed,
      });
    const [a, b, c] = [build(1), build(1), build(2)];
    const heat = tf.tidy(
      () =>
        (a.predict(tf.zeros([1, 32, 32, 1])) as tf.Tensor).slice([0, 0, 0, 0], [1, -1, -1, 2]).mean().dataSync()[0]!,
    );
    expect(heat).toBeCloseTo(0.1, 2);
    const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(a)).toEqual(weights(b));
    expect(weights(a)).not.toEqual(weights(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('says what to change when the stride or the input size cannot work', () => {
    expect(() =>
      buildCenterNetDetector({
        inputShape: [32, 32, 1],
        numClasses: 1,
        backbone: { architecture: 'small-cnn', filters: [4, 8] },
        outputStride: 4,
      }),
    ).toThrow(/deepest features are at stride 2; choose an outputStride of at most 2/);
    expect(() =>
      buildCenterNetDetector({
        inputShape: [36, 32, 1],
        numClasses: 1,
        backbone: { architecture: 'small-cnn', filters: [4, 8, 8, 8] },
      }),
    ).toThrow(/input height must be a multiple of 8, got 36/);
    expect(() =>
      buildModel(
        { architecture: 'centernet', backbone: backbones[0]![1] },
        { task: 'classification', inputShape: [32, 32, 1], numClasses: 2, seed: 0 },
      ),
    ).toThrow(/cannot do classification/);
  });
});

describe('Siamese embedding', () => {
  it.each(backbones)('on the %s gives unit-length embeddings', (_name, backbone) => {
    const model = buildSiameseEmbedding({ inputShape: [32, 32, 3], backbone, embeddingDim: 16 });
    // Training mode: an untrained MobileNetV2's inference-mode activations shrink to ~1e-9 by its last
    // block (depthwise fan-in counts every channel, as in torchvision), below the L2 layer's epsilon.
    const norms = tf.tidy(() =>
      tf
        .norm(
          model.apply(tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', 4), { training: true }) as tf.Tensor,
          'euclidean',
          -1,
        )
        .dataSync(),
    );
    norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
    expect(model.outputs[0]!.shape).toEqual([null, 16]);
    expect(model.layers.at(-1)!.name).toBe(`${HEAD_PREFIX}embedding_l2`);
    model.dispose();
  });
});
