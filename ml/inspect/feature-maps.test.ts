/**
 * Layer activations and first-layer filters against a PyTorch twin: the same layers and weights
 * rebuilt in torch (tests/reference/torch_layers.py on torch_gradcam.py's twin), each target
 * layer's output taken from the twin's forward pass, and the kernels from the stored weights.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../../tests/helpers/python-reference';
import { describeLayers, randomiseWeights } from '../../tests/helpers/torch-twin';
import { SeededRandom } from '../data/random';
import { featureMapLayers } from '../explain/layer-split';
import { buildMobileNetV2, buildResNet, buildSmallCnn } from '../models/index';
import { firstFilters, layerActivations } from './feature-maps';

/** Raw activations, float32 against float64 through up to a few dozen layers. */
const REFERENCE_TOLERANCE = 1e-4;
const SIDE = 32;
/** Fewer than every layer here has, so the cap is exercised. */
const CAPPED_CHANNELS = 3;
/** Torch's import and three networks' forward passes on a shared CPU. */
const REFERENCE_TEST_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Reference {
  activations: Record<string, number[]>;
  filters: number[] | null;
}

const NETWORKS = [
  ['small CNN', () => buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 })],
  ['ResNet-18', () => buildResNet({ inputShape: [SIDE, SIDE, 1], numClasses: 3, baseFilters: 4, seed: 5 })],
  [
    'MobileNetV2',
    () => buildMobileNetV2({ inputShape: [SIDE, SIDE, 3], numClasses: 3, widthMultiplier: 0.35, seed: 3 }),
  ],
] as const;

describe('feature maps and filters equal a PyTorch twin', () => {
  it.each(NETWORKS)(
    '%s: the first, a middle and the last feature map; the first convolution',
    async (_, build) => {
      const model = build();
      const random = new SeededRandom(13);
      randomiseWeights(model, random);
      const channels = model.inputs[0]!.shape[3]!;
      const data = Float32Array.from({ length: SIDE * SIDE * channels }, () => random.next() * 2 - 1);
      const image = tf.tensor4d(data, [1, SIDE, SIDE, channels]);
      const layers = featureMapLayers(model);
      const targets = [layers[0]!, layers[Math.floor(layers.length / 2)]!, layers.at(-1)!];
      const filters = (await firstFilters(model, Number.MAX_SAFE_INTEGER))!;
      const reference = runReference<Reference>('torch_layers.py', {
        layers: describeLayers(model),
        input: { shape: [1, SIDE, SIDE, channels], data: Array.from(data) },
        targets,
        filters: filters.layer,
      });
      const before = tf.memory().numTensors;
      let worst = 0;
      for (const target of targets) {
        const ours = await layerActivations(model, image, target, Number.MAX_SAFE_INTEGER);
        const theirs = reference.activations[target]!;
        expect(ours.count).toBe(ours.total);
        expect(ours.values.length).toBe(theirs.length);
        expect(ours.count * ours.rows * ours.columns).toBe(theirs.length);
        ours.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - theirs[i]!))));
        const capped = await layerActivations(model, image, target, CAPPED_CHANNELS);
        expect([capped.count, capped.total]).toEqual([CAPPED_CHANNELS, ours.total]);
        expect(Array.from(capped.values)).toEqual(Array.from(ours.values.subarray(0, capped.values.length)));
      }
      expect(tf.memory().numTensors).toBe(before);
      console.info(`max |Loupe − PyTorch| over raw activations: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);

      expect(filters.inputChannels).toBe(channels);
      expect(filters.count).toBe(filters.total);
      expect(Array.from(filters.weights)).toEqual(reference.filters!.map(Math.fround));
      const capped = (await firstFilters(model, CAPPED_CHANNELS))!;
      expect(capped.count).toBe(CAPPED_CHANNELS);
      expect(Array.from(capped.weights)).toEqual(Array.from(filters.weights.subarray(0, capped.weights.length)));
      image.dispose();
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});
