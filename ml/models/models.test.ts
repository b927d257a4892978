import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildMobileNetV2,
  buildModel,
  buildResNet,
  buildSmallCnn,
  buildUNet,
  mobileNetV2Backbone,
  ModelArgsError,
  resnetBackbone,
  smallCnnBackbone,
  unetEncoder,
  type InputShape,
} from './index';
import { makeDivisible } from './mobilenet-v2';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function outputShape(model: tf.LayersModel, input: InputShape): number[] {
  return tf.tidy(() => (model.predict(tf.zeros([2, ...input])) as tf.Tensor).shape);
}

describe('model builders', () => {
  const classifiers = [
    ['small CNN', (shape: InputShape) => buildSmallCnn({ inputShape: shape, numClasses: 3 })],
    [
      'ResNet-18 (small stem)',
      (shape: InputShape) => buildResNet({ inputShape: shape, numClasses: 3, baseFilters: 8 }),
    ],
    [
      'MobileNetV2 α=0.35',
      (shape: InputShape) => buildMobileNetV2({ inputShape: shape, numClasses: 3, widthMultiplier: 0.35 }),
    ],
  ] as const;
  const shapes: InputShape[] = [
    [32, 32, 1],
    [64, 48, 3],
  ];

  it.each(classifiers.flatMap(([name, build]) => shapes.map((shape) => [name, shape, build] as const)))(
    '%s on %j gives one logit per class',
    (_name, shape, build) => {
      const model = build(shape);
      expect(outputShape(model, shape)).toEqual([2, 3]);
      // Logits: the head has no activation (losses and predictions apply softmax themselves).
      expect(model.layers.at(-1)!.getConfig().activation).toBe('linear');
      model.dispose();
    },
  );

  it('builds a ResNet-18 with the ImageNet stem for larger inputs, with the published parameter count', () => {
    const model = buildResNet({ inputShape: [224, 224, 3], numClasses: 1000 });
    // torchvision resnet18: 11,689,512 parameters; batch-norm running statistics are extra weights here.
    expect(model.countParams() - batchNormStatistics(model)).toBe(11_689_512);
    model.dispose();
  });

  it('builds MobileNetV2 α=1 with the published parameter count and widths that follow the multiplier', () => {
    const model = buildMobileNetV2({ inputShape: [224, 224, 3], numClasses: 1000 });
    // torchvision mobilenet_v2: 3,504,872 parameters.
    expect(model.countParams() - batchNormStatistics(model)).toBe(3_504_872);
    model.dispose();
    expect([
      makeDivisible(32 * 0.35),
      makeDivisible(16 * 0.35),
      makeDivisible(24 * 0.5),
      makeDivisible(320 * 1.4),
    ]).toEqual([16, 8, 16, 448]);
  });

  it('builds a U-Net with one sigmoid channel for two classes and one logit per class otherwise', () => {
    const binary = buildUNet({ inputShape: [32, 48, 1], numClasses: 2, depth: 3, baseFilters: 4 });
    expect(outputShape(binary, [32, 48, 1])).toEqual([2, 32, 48, 1]);
    const multi = buildUNet({ inputShape: [16, 16, 3], numClasses: 4, depth: 2, baseFilters: 4, batchNorm: false });
    expect(outputShape(multi, [16, 16, 3])).toEqual([2, 16, 16, 4]);
    binary.dispose();
    multi.dispose();
  });

  it('exposes backbones with feature maps at known strides for heads to attach to', () => {
    const cases = [
      [smallCnnBackbone({ inputShape: [32, 32, 1], filters: [4, 8, 16] }), [1, 2, 4], [4, 8, 16]],
      [resnetBackbone({ inputShape: [64, 64, 3], baseFilters: 4 }), [1, 2, 4, 8], [4, 8, 16, 32]],
      [
        mobileNetV2Backbone({ inputShape: [64, 64, 3], widthMultiplier: 0.35 }),
        [2, 4, 8, 16, 32],
        [8, 8, 16, 32, 1280],
      ],
      [unetEncoder({ inputShape: [32, 32, 1], depth: 2, baseFilters: 4 }), [1, 2, 4], [4, 8, 16]],
    ] as const;
    for (const [backbone, strides, channels] of cases) {
      expect(backbone.features.map((f) => f.stride)).toEqual(strides);
      expect(backbone.features.map((f) => f.channels)).toEqual(channels);
      const size = backbone.input.shape[1]!;
      for (const feature of backbone.features) {
        expect(feature.tensor.shape.slice(1)).toEqual([size / feature.stride, size / feature.stride, feature.channels]);
      }
    }
  });

  it('gives the same weights for the same seed, under the same names, and different weights for another seed', () => {
    const a = buildSmallCnn({ inputShape: [16, 16, 1], numClasses: 2, seed: 7 });
    const b = buildSmallCnn({ inputShape: [16, 16, 1], numClasses: 2, seed: 7 });
    const c = buildSmallCnn({ inputShape: [16, 16, 1], numClasses: 2, seed: 8 });
    expect(a.weights.map((w) => w.originalName)).toEqual(b.weights.map((w) => w.originalName));
    expect(a.weights[0]!.originalName).toBe('conv_1/kernel');
    a.weights.forEach((w, i) => expect(w.read().dataSync()).toEqual(b.weights[i]!.read().dataSync()));
    expect(a.weights[0]!.read().dataSync()).not.toEqual(c.weights[0]!.read().dataSync());
    [a, b, c].forEach((m) => m.dispose());
  });

  it.each([
    [() => buildSmallCnn({ inputShape: [32, 32, 2], numClasses: 2 }), /inputs have 1 or 3 channels, got 2/],
    [() => buildSmallCnn({ inputShape: [32, 32, 1], numClasses: 1 }), /numClasses must be an integer of at least 2/],
    [() => buildSmallCnn({ inputShape: [32, 32, 1], numClasses: 2, filters: [] }), /filters needs at least one stage/],
    [() => buildUNet({ inputShape: [30, 32, 1], numClasses: 2, depth: 2 }), /height must be a multiple of 4, got 30/],
    [
      () => buildUNet({ inputShape: [32, 32, 1], numClasses: 2, depth: 9 }),
      /depth must be an integer from 1 to 6, got 9/,
    ],
    [
      () => buildMobileNetV2({ inputShape: [16, 16, 3], numClasses: 2 }),
      /width must be an integer of at least 32|height must be an integer of at least 32/,
    ],
    [
      () => buildMobileNetV2({ inputShape: [32, 32, 3], numClasses: 2, widthMultiplier: 0 }),
      /widthMultiplier must be in \(0, 4\]/,
    ],
    [
      () => buildResNet({ inputShape: [16, 16, 3], numClasses: 2, stem: 'imagenet' }),
      /height must be an integer of at least 32, got 16/,
    ],
    [
      () =>
        buildModel(
          { architecture: 'unet' },
          { task: 'classification', inputShape: [32, 32, 1], numClasses: 2, seed: 0 },
        ),
      /cannot do classification; use one of: small-cnn, resnet18, mobilenet-v2/,
    ],
  ])('refuses bad arguments with a ModelArgsError that says what is wrong (%#)', (build, message) => {
    let thrown: unknown;
    try {
      build();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ModelArgsError);
    expect((thrown as Error).message).toMatch(message);
  });
});

function batchNormStatistics(model: tf.LayersModel): number {
  return model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .reduce((sum, l) => sum + l.nonTrainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0), 0);
}
