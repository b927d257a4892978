/**
 * Per-box maps of a CenterNet detector and the pair maps of a Siamese model against a PyTorch
 * twin (tests/reference/torch_boxes_pairs_cam.py): the same layers and weights rebuilt in torch,
 * the gradient of the box's heatmap logit, or of the pair's cosine similarity, taken by autograd.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackboneConfig } from '../../contract/index';
import { runReference } from '../../tests/helpers/python-reference';
import { describeLayers, randomiseWeights } from '../../tests/helpers/torch-twin';
import { SeededRandom } from '../data/random';
import { buildCenterNetDetector, buildSiameseEmbedding } from '../models/index';
import type { FeatureHeatmap, GradientCamMethod } from './cam';
import { boxCam, heatmapLogitSplit } from './explain-detection';
import { backboneTargetLayer } from './explain-segmentation';
import { pairCams } from './explain-verification';
import { featureMapLayers, splitAt } from './layer-split';

/** Normalised maps in [0, 1]; float32 against float64. */
const REFERENCE_TOLERANCE = 1e-4;
const SIDE = 32;
/** Torch's import and the backward passes on a shared CPU. */
const REFERENCE_TEST_TIMEOUT_MS = 180_000;
const METHODS: GradientCamMethod[] = ['gradcam', 'gradcam++', 'layercam'];

type Maps = Record<GradientCamMethod, number[]>;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BACKBONES: [string, BackboneConfig][] = [
  ['small CNN', { architecture: 'small-cnn', filters: [4, 8, 8] }],
  ['ResNet-18', { architecture: 'resnet18', baseFilters: 4, stem: 'small' }],
];

function randomImage(random: SeededRandom, channels: number): { tensor: tf.Tensor4D; data: number[] } {
  const data = Float32Array.from({ length: SIDE * SIDE * channels }, () => random.next() * 2 - 1);
  return { tensor: tf.tensor4d(data, [1, SIDE, SIDE, channels]), data: Array.from(data) };
}

function difference(ours: FeatureHeatmap, theirs: number[]): number {
  expect(ours.values.length).toBe(theirs.length);
  let worst = 0;
  ours.values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - theirs[j]!))));
  return worst;
}

/** A map is informative when it is not all zeros (a map nowhere positive proves little). */
const informative = (map: number[]): boolean => Math.max(...map) > 0.99;

describe('detection: one map per box equals a PyTorch twin', () => {
  it.each(BACKBONES)(
    '%s backbone: the backbone map and a middle one, three cells of two classes',
    async (_, backbone) => {
      const model = buildCenterNetDetector({ inputShape: [SIDE, SIDE, 1], numClasses: 2, backbone, headChannels: 8 });
      const random = new SeededRandom(11);
      randomiseWeights(model, random);
      const image = randomImage(random, 1);
      const logitLayer = model.layers.find((l) => l.name.endsWith('_heatmap_out'))!.name;
      const [, h, w] = model.outputs[0]!.shape as number[];
      const cases = [
        { y: 1, x: 2, classIndex: 0 },
        { y: 4, x: 4, classIndex: 1 },
        { y: h! - 1, x: w! - 2, classIndex: 0 },
      ];
      const layers = featureMapLayers(model);
      let worst = 0;
      let useful = 0;
      for (const target of [backboneTargetLayer(model), layers[Math.floor(layers.length / 3)]!]) {
        const reference = runReference<{ maps: Maps[] }>('torch_boxes_pairs_cam.py', {
          layers: describeLayers(model),
          target,
          detection: { input: { shape: [1, SIDE, SIDE, 1], data: image.data }, logitLayer, cases },
        });
        const split = heatmapLogitSplit(model, target);
        for (const [i, c] of cases.entries()) {
          for (const method of METHODS) {
            const ours = await boxCam(split, [1, h!, w!, 2], image.tensor, c.y * w! + c.x, c.classIndex, method);
            const theirs = reference.maps[i]![method];
            worst = Math.max(worst, difference(ours, theirs));
            if (informative(theirs)) useful += 1;
          }
        }
      }
      console.info(`detection (${backbone.architecture}): max |Loupe − PyTorch| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);
      expect(useful).toBeGreaterThanOrEqual(12);
      image.tensor.dispose();
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});

describe('verification: the similarity maps of a pair equal a PyTorch twin', () => {
  it.each(BACKBONES)(
    '%s backbone: the backbone map and a middle one, both images',
    async (_, backbone) => {
      const model = buildSiameseEmbedding({ inputShape: [SIDE, SIDE, 3], backbone, embeddingDim: 8, hiddenUnits: 6 });
      const random = new SeededRandom(5);
      randomiseWeights(model, random);
      const a = randomImage(random, 3);
      const b = randomImage(random, 3);
      const layers = featureMapLayers(model);
      let worst = 0;
      let useful = 0;
      for (const target of [backboneTargetLayer(model), layers[Math.floor(layers.length / 2)]!]) {
        const reference = runReference<{ similarity: number; a: Maps; b: Maps }>('torch_boxes_pairs_cam.py', {
          layers: describeLayers(model),
          target,
          verification: {
            a: { shape: [1, SIDE, SIDE, 3], data: a.data },
            b: { shape: [1, SIDE, SIDE, 3], data: b.data },
          },
        });
        const split = splitAt(model, target);
        for (const method of METHODS) {
          const ours = await pairCams(model, split, a.tensor, b.tensor, method);
          expect(ours.similarity).toBeCloseTo(reference.similarity, 4);
          worst = Math.max(worst, difference(ours.a, reference.a[method]), difference(ours.b, reference.b[method]));
          useful += Number(informative(reference.a[method])) + Number(informative(reference.b[method]));
        }
      }
      console.info(`verification (${backbone.architecture}): max |Loupe − PyTorch| = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);
      expect(useful).toBeGreaterThanOrEqual(9);
      for (const t of [a.tensor, b.tensor]) t.dispose();
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});
