/**
 * Grad-CAM, Grad-CAM++ and LayerCAM against a PyTorch twin: the same layers and weights rebuilt in torch
 * (tests/reference/torch_gradcam.py), with the gradient taken by torch's autograd.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../../tests/helpers/python-reference';
import { describeLayers, randomiseWeights } from '../../tests/helpers/torch-twin';
import { SeededRandom } from '../data/random';
import { buildMobileNetV2, buildResNet, buildSmallCnn } from '../models/index';
import { gradientCam, classLogit, type GradientCamMethod } from './cam';
import { defaultTargetLayer, featureMapLayers, splitAt } from './layer-split';

/** Normalised maps in [0, 1]; float32 against float64. */
const REFERENCE_TOLERANCE = 1e-4;
const SIDE = 64;
/** Torch's import and three networks' backward passes on a shared CPU. */
const REFERENCE_TEST_TIMEOUT_MS = 120_000;
/** Of the eighteen maps per network (two layers × three classes × three methods), how many must be non-constant. */
const MIN_INFORMATIVE_MAPS = 12;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface ReferenceMaps {
  maps: (Record<GradientCamMethod, number[]> & { logits: number[] })[];
}

const NETWORKS = [
  ['small CNN', () => buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 3, seed: 1 })],
  ['ResNet-18', () => buildResNet({ inputShape: [SIDE, SIDE, 1], numClasses: 3, baseFilters: 4, seed: 5 })],
  [
    'MobileNetV2',
    () => buildMobileNetV2({ inputShape: [SIDE, SIDE, 3], numClasses: 3, widthMultiplier: 0.35, seed: 3 }),
  ],
] as const;

describe('Grad-CAM, Grad-CAM++ and LayerCAM equal a PyTorch twin', () => {
  it.each(NETWORKS)(
    '%s: the last and a middle feature map, every class',
    async (_, build) => {
      const model = build();
      const random = new SeededRandom(7);
      randomiseWeights(model, random);
      const channels = model.inputs[0]!.shape[3]!;
      const data = Float32Array.from({ length: SIDE * SIDE * channels }, () => random.next() * 2 - 1);
      const image = tf.tensor4d(data, [1, SIDE, SIDE, channels]);
      const layers = featureMapLayers(model);
      const targets = [defaultTargetLayer(model), layers[Math.floor(layers.length / 2)]!];
      const cases = targets.flatMap((target) => [0, 1, 2].map((classIndex) => ({ target, classIndex })));
      const reference = runReference<ReferenceMaps>('torch_gradcam.py', {
        layers: describeLayers(model),
        input: { shape: [1, SIDE, SIDE, channels], data: Array.from(data) },
        cases,
      });
      const logits = Array.from((tf.tidy(() => model.predict(image)) as tf.Tensor).dataSync());
      expect(Math.max(...logits.map((l, i) => Math.abs(l - reference.maps[0]!.logits[i]!)))).toBeLessThan(1e-4);
      let worst = 0;
      // A map whose ReLU-ed sum is nowhere positive normalises to zeros: equal, but it proves little.
      let informative = 0;
      for (const [i, c] of cases.entries()) {
        for (const method of ['gradcam', 'gradcam++', 'layercam'] as GradientCamMethod[]) {
          const ours = await gradientCam(splitAt(model, c.target), image, classLogit(c.classIndex), method);
          const theirs = reference.maps[i]![method];
          expect(ours.values.length).toBe(theirs.length);
          if (Math.max(...theirs) > 0.99) informative += 1;
          ours.values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - theirs[j]!))));
        }
      }
      console.info(`max |Loupe − PyTorch| over normalised maps: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);
      expect(informative).toBeGreaterThanOrEqual(MIN_INFORMATIVE_MAPS);
      image.dispose();
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});
