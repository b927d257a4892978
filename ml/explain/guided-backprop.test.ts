/**
 * Guided backpropagation and guided Grad-CAM against a PyTorch twin (tests/reference/torch_gradcam.py,
 * a torch.autograd.Function for the guided ReLU), and proof that the model itself stays unguided.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../../tests/helpers/python-reference';
import { describeLayers, randomiseWeights } from '../../tests/helpers/torch-twin';
import { SeededRandom } from '../data/random';
import { buildMobileNetV2, buildResNet, buildSmallCnn } from '../models/index';
import { preprocessingSpecSchema, type DecodedFrame } from '../../contract/index';
import { classLogit, gradientCam } from './cam';
import { explainClassification } from './explain-classification';
import { guidedBackprop, guidedGradCam } from './guided-backprop';
import { defaultTargetLayer, splitAt } from './layer-split';

/** Normalised maps in [0, 1]; float32 against float64. */
const REFERENCE_TOLERANCE = 1e-4;
const SIDE = 32;
/** Torch's import and the backward passes on a shared CPU. */
const REFERENCE_TEST_TIMEOUT_MS = 120_000;
/** Of the six maps per network (three classes × two methods), how many must be non-constant. */
const MIN_INFORMATIVE_MAPS = 4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** MobileNetV2 strides by 32: at 64 × 64 its last feature map is 2 × 2 (1 × 1 would normalise to zeros). */
const MOBILENET_SIDE = 64;

const NETWORKS = [
  ['small CNN', () => buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 })],
  ['ResNet-18', () => buildResNet({ inputShape: [SIDE, SIDE, 1], numClasses: 3, baseFilters: 4, seed: 5 })],
  [
    'MobileNetV2 (ReLU6)',
    () =>
      buildMobileNetV2({
        inputShape: [MOBILENET_SIDE, MOBILENET_SIDE, 3],
        numClasses: 3,
        widthMultiplier: 0.35,
        seed: 3,
      }),
  ],
] as const;

interface GuidedMaps {
  maps: { guided: number[]; guidedGradcam: number[] }[];
}

describe('guided backpropagation and guided Grad-CAM equal a PyTorch twin', () => {
  it.each(NETWORKS)(
    '%s: every class, at input resolution',
    async (_, build) => {
      const model = build();
      const random = new SeededRandom(17);
      randomiseWeights(model, random);
      const [, side, , channels] = model.inputs[0]!.shape as number[];
      const data = Float32Array.from({ length: side! * side! * channels! }, () => random.next() * 2 - 1);
      const image = tf.tensor4d(data, [1, side!, side!, channels!]);
      const target = defaultTargetLayer(model);
      const cases = [0, 1, 2].map((classIndex) => ({ target, classIndex, guided: true }));
      const reference = runReference<GuidedMaps>('torch_gradcam.py', {
        layers: describeLayers(model),
        input: { shape: [1, side, side, channels], data: Array.from(data) },
        cases,
      });
      let worst = 0;
      // A Grad-CAM map that is nowhere positive zeroes its guided Grad-CAM: equal, but it proves little.
      let informative = 0;
      for (const [i, c] of cases.entries()) {
        const score = classLogit(c.classIndex);
        const guided = await guidedBackprop(model, image, score);
        const cam = await gradientCam(splitAt(model, target), image, score, 'gradcam');
        const combined = await guidedGradCam(model, image, score, cam);
        expect([guided.rows, guided.columns, combined.rows, combined.columns]).toEqual([side, side, side, side]);
        for (const [ours, theirs] of [
          [guided.values, reference.maps[i]!.guided],
          [combined.values, reference.maps[i]!.guidedGradcam],
        ] as const) {
          if (Math.max(...theirs) > 0.99) informative += 1;
          ours.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - theirs[j]!))));
        }
      }
      console.info(`max |Loupe − PyTorch| over normalised guided maps: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);
      expect(informative).toBeGreaterThanOrEqual(MIN_INFORMATIVE_MAPS);
      image.dispose();
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );

  it(
    'leaves the model unguided: its own input gradient is the same before and after, and differs from the guided one',
    async () => {
      const model = buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 2, seed: 8 });
      const random = new SeededRandom(19);
      randomiseWeights(model, random);
      const image = tf.tensor4d(
        Float32Array.from({ length: SIDE * SIDE }, () => random.next() * 2 - 1),
        [1, SIDE, SIDE, 1],
      );
      const plain = () =>
        tf.tidy(() =>
          Array.from(
            tf
              .grad((x: tf.Tensor) => classLogit(0)(model.apply(x) as tf.Tensor))(image)
              .abs()
              .max(3)
              .dataSync(),
          ),
        );
      const before = plain();
      const guided = await guidedBackprop(model, image, classLogit(0));
      expect(plain()).toEqual(before);
      const top = Math.max(...before);
      expect(Array.from(guided.values)).not.toEqual(before.map((v) => v / top));
      image.dispose();
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});

describe('guided methods through the classification explainer', () => {
  it(
    'put an input-resolution map on the frame, with trust measures and no leaked tensors',
    async () => {
      const model = buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 2, seed: 4 });
      const card = {
        task: 'classification' as const,
        classes: ['normal', 'lesion'],
        input: { rows: SIDE, columns: SIDE, channels: 1 },
        preprocessing: preprocessingSpecSchema.parse({
          rows: SIDE,
          columns: SIDE,
          resize: 'pad',
          intensity: { mode: 'range', min: 0, max: 255 },
        }),
      };
      const frame = {
        data: Uint8Array.from({ length: 48 * 24 }, (_, i) => (i * 37) % 256),
        rows: 48,
        columns: 24,
        samplesPerPixel: 1,
        rescaleSlope: 1,
        rescaleIntercept: 0,
      } as DecodedFrame;
      const before = tf.memory().numTensors;
      for (const method of ['guided-backprop', 'guided-gradcam'] as const) {
        const result = await explainClassification(model, card, frame, { method, trust: true });
        expect([result.featureHeatmap.rows, result.featureHeatmap.columns]).toEqual([SIDE, SIDE]);
        expect([result.heatmap.rows, result.heatmap.columns]).toEqual([48, 24]);
        expect(Math.abs(result.trust!.sanityCorrelation)).toBeLessThanOrEqual(1);
      }
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});
