/**
 * Seg-Grad-CAM against a PyTorch twin of the same U-Net (tests/reference/torch_gradcam.py): the
 * twin finds the predicted region itself and differentiates the region's summed class logits.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessingSpecSchema, type DecodedFrame } from '../../contract/index';
import { runReference } from '../../tests/helpers/python-reference';
import { describeLayers, randomiseWeights } from '../../tests/helpers/torch-twin';
import { preprocessFrame } from '../data/preprocessing';
import { SeededRandom } from '../data/random';
import { buildUNet } from '../models/index';
import type { ExplainedCard } from './explain-classification';
import { backboneTargetLayer, explainSegmentation } from './explain-segmentation';
import { featureMapLayers } from './layer-split';

/** Normalised maps in [0, 1]; float32 against float64. */
const REFERENCE_TOLERANCE = 1e-4;
const SIDE = 32;
/** Torch's import and the backward passes on a shared CPU. */
const REFERENCE_TEST_TIMEOUT_MS = 120_000;
/** A logit bias so low that a binary U-Net predicts no foreground anywhere. */
const NOWHERE_BIAS = -1e3;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function card(classes: string[]): ExplainedCard {
  return {
    task: 'segmentation',
    classes,
    input: { rows: SIDE, columns: SIDE, channels: 1 },
    preprocessing: preprocessingSpecSchema.parse({
      rows: SIDE,
      columns: SIDE,
      resize: 'stretch',
      intensity: { mode: 'range', min: 0, max: 255 },
    }),
  };
}

function frame(random: SeededRandom): DecodedFrame {
  const data = Uint8Array.from({ length: SIDE * SIDE }, () => Math.floor(random.next() * 256));
  return { data, rows: SIDE, columns: SIDE, samplesPerPixel: 1, rescaleSlope: 1, rescaleIntercept: 0 } as DecodedFrame;
}

const NETWORKS = [
  ['binary U-Net (one sigmoid channel)', ['background', 'lesion'], false],
  ['three-class U-Net (softmax)', ['background', 'liver', 'lesion'], false],
  ['binary U-Net that predicts no foreground', ['background', 'lesion'], true],
] as const;

describe('Seg-Grad-CAM equals a PyTorch twin', () => {
  it.each(NETWORKS)(
    '%s: the bottleneck and a decoder feature map, every class',
    async (_, classes, nowhere) => {
      const model = buildUNet({ inputShape: [SIDE, SIDE, 1], numClasses: classes.length, depth: 2, baseFilters: 4 });
      const random = new SeededRandom(13);
      randomiseWeights(model, random);
      if (nowhere) {
        const logits = model.layers.at(-1)!;
        const [kernel, bias] = logits.getWeights();
        logits.setWeights([kernel!, tf.fill(bias!.shape, NOWHERE_BIAS)]);
      }
      const image = frame(random);
      const input = preprocessFrame(image, card([...classes]).preprocessing).input;
      const layers = featureMapLayers(model);
      const decoder = layers[layers.length - 3]!;
      const targets = [backboneTargetLayer(model), decoder];
      expect(targets[0]).not.toBe(targets[1]);
      const cases = targets.flatMap((target) =>
        classes.map((__, classIndex) => ({ target, classIndex, segmentation: true })),
      );
      const reference = runReference<{ maps: Record<'gradcam' | 'gradcam++' | 'layercam', number[]>[] }>(
        'torch_gradcam.py',
        {
          layers: describeLayers(model),
          input: { shape: [1, SIDE, SIDE, 1], data: Array.from(input) },
          cases,
        },
      );
      let worst = 0;
      let informative = 0;
      // The predicted regions partition the image (a class predicted nowhere counts 0 pixels).
      let regionTotal = 0;
      for (const [i, c] of cases.entries()) {
        for (const method of ['gradcam', 'gradcam++', 'layercam'] as const) {
          const ours = await explainSegmentation(model, card([...classes]), image, {
            method,
            classIndex: c.classIndex,
            targetLayer: c.target,
          });
          if (nowhere && c.classIndex === 1) expect([ours.wholeImage, ours.regionPixels]).toEqual([true, 0]);
          if (c.target === targets[0] && method === 'gradcam') regionTotal += ours.regionPixels;
          const theirs = reference.maps[i]![method];
          expect(ours.featureHeatmap.values.length).toBe(theirs.length);
          if (Math.max(...theirs) > 0.99) informative += 1;
          ours.featureHeatmap.values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - theirs[j]!))));
        }
      }
      console.info(`max |Loupe − PyTorch| over normalised Seg-Grad-CAM maps: ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);
      expect(informative).toBeGreaterThanOrEqual(cases.length);
      expect(regionTotal).toBe(SIDE * SIDE);
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});

describe('Seg-Grad-CAM through the engine options', () => {
  it(
    'defaults to the largest predicted foreground class, measures trust and refuses classifier-only methods',
    async () => {
      const model = buildUNet({ inputShape: [SIDE, SIDE, 1], numClasses: 3, depth: 2, baseFilters: 4, seed: 2 });
      const before = tf.memory().numTensors;
      const result = await explainSegmentation(model, card(['background', 'a', 'b']), frame(new SeededRandom(3)), {
        method: 'gradcam',
        trust: true,
      });
      expect(result.classIndex).toBeGreaterThan(0);
      expect(result.targetLayer).toBe(backboneTargetLayer(model));
      expect(result.probability).toBeGreaterThan(0);
      expect(result.probability).toBeLessThanOrEqual(1);
      const trust = result.trust!;
      for (const v of [trust.deletionAuc, trust.insertionAuc]) expect(v).toBeGreaterThanOrEqual(0);
      expect(tf.memory().numTensors).toBe(before);
      await expect(
        explainSegmentation(model, card(['background', 'a', 'b']), frame(new SeededRandom(3)), { method: 'scorecam' }),
      ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      model.dispose();
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});
