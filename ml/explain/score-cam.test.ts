/**
 * Score-CAM against a PyTorch twin: the same layers and weights rebuilt in torch
 * (tests/reference/torch_gradcam.py), one masked forward pass per channel there, chunks here.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../../tests/helpers/python-reference';
import { describeLayers, randomiseWeights } from '../../tests/helpers/torch-twin';
import { SeededRandom } from '../data/random';
import { buildResNet, buildSmallCnn } from '../models/index';
import { preprocessingSpecSchema, type DecodedFrame } from '../../contract/index';
import { explainClassification, type ExplainedCard } from './explain-classification';
import { defaultTargetLayer, featureMapLayers, splitAt } from './layer-split';
import { scoreCam } from './score-cam';

/** Normalised maps in [0, 1]; float32 against float64. */
const REFERENCE_TOLERANCE = 1e-4;
const SIDE = 32;
/** Torch's import and one forward pass per channel, case and network on a shared CPU. */
const REFERENCE_TEST_TIMEOUT_MS = 180_000;
/** Smaller than any target's channel count, so the chunk boundaries are exercised. */
const TEST_CHUNK = 5;
/** Of the six maps per network (two layers × three classes), how many must be non-constant. */
const MIN_INFORMATIVE_MAPS = 4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const NETWORKS = [
  ['small CNN', () => buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 })],
  ['ResNet-18', () => buildResNet({ inputShape: [SIDE, SIDE, 1], numClasses: 3, baseFilters: 4, seed: 5 })],
] as const;

describe('Score-CAM equals a PyTorch twin', () => {
  it.each(NETWORKS)(
    '%s: the last and a middle feature map, every class',
    async (_, build) => {
      const model = build();
      const random = new SeededRandom(11);
      randomiseWeights(model, random);
      const data = Float32Array.from({ length: SIDE * SIDE }, () => random.next() * 2 - 1);
      const image = tf.tensor4d(data, [1, SIDE, SIDE, 1]);
      const layers = featureMapLayers(model);
      const targets = [defaultTargetLayer(model), layers[Math.floor(layers.length / 2)]!];
      const cases = targets.flatMap((target) => [0, 1, 2].map((classIndex) => ({ target, classIndex })));
      const reference = runReference<{ maps: { scorecam: number[] }[] }>('torch_gradcam.py', {
        layers: describeLayers(model),
        input: { shape: [1, SIDE, SIDE, 1], data: Array.from(data) },
        cases,
        scorecam: true,
      });
      let worst = 0;
      let informative = 0;
      let chunks = 0;
      for (const [i, c] of cases.entries()) {
        const ours = await scoreCam(
          model,
          splitAt(model, c.target),
          image,
          c.classIndex,
          async () => void (chunks += 1),
          TEST_CHUNK,
        );
        const theirs = reference.maps[i]!.scorecam;
        expect(ours.values.length).toBe(theirs.length);
        if (Math.max(...theirs) > 0.99) informative += 1;
        ours.values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - theirs[j]!))));
      }
      console.info(`max |Loupe − PyTorch| over normalised Score-CAM maps: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);
      expect(informative).toBeGreaterThanOrEqual(MIN_INFORMATIVE_MAPS);
      expect(chunks).toBeGreaterThan(cases.length);
      image.dispose();
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});

describe('Score-CAM through the classification explainer', () => {
  const card: ExplainedCard = {
    task: 'classification',
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
    data: Uint8Array.from({ length: 40 * 20 }, (_, i) => (i * 37) % 256),
    rows: 40,
    columns: 20,
    samplesPerPixel: 1,
    rescaleSlope: 1,
    rescaleIntercept: 0,
  } as DecodedFrame;

  it(
    'maps onto the frame with trust measures, leaks no tensors, and stops where betweenPasses throws',
    async () => {
      const model = buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 2, seed: 4 });
      const before = tf.memory().numTensors;
      const result = await explainClassification(model, card, frame, { method: 'scorecam', trust: true });
      expect([result.heatmap.rows, result.heatmap.columns]).toEqual([40, 20]);
      expect(Math.max(...result.featureHeatmap.values)).toBeCloseTo(1, 6);
      expect(Math.abs(result.trust!.sanityCorrelation)).toBeLessThanOrEqual(1);
      expect(tf.memory().numTensors).toBe(before);
      const cancelled = new Error('cancelled');
      await expect(
        explainClassification(model, card, frame, {
          method: 'scorecam',
          trust: false,
          betweenPasses: () => Promise.reject(cancelled),
        }),
      ).rejects.toBe(cancelled);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});
