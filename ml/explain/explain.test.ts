import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessingSpecSchema, type DecodedFrame } from '../../contract/index';
import { buildSmallCnn } from '../models/index';
import { explainClassification, type ExplainedCard } from './explain-classification';
import { heatmapOnFrame, heatmapPeak } from './heatmap-on-frame';
import { defaultTargetLayer, featureMapLayers } from './layer-split';
import { rankByHeatmap, spearman, withRandomisedTop } from './trust';

const SIDE = 32;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function card(resize: 'stretch' | 'pad'): ExplainedCard {
  return {
    task: 'classification',
    classes: ['normal', 'lesion'],
    input: { rows: SIDE, columns: SIDE, channels: 1 },
    preprocessing: preprocessingSpecSchema.parse({
      rows: SIDE,
      columns: SIDE,
      resize,
      intensity: { mode: 'range', min: 0, max: 255 },
    }),
  };
}

function frame(rows: number, columns: number): DecodedFrame {
  const data = Uint8Array.from({ length: rows * columns }, (_, i) => (i * 37) % 256);
  return { data, rows, columns, samplesPerPixel: 1, rescaleSlope: 1, rescaleIntercept: 0 } as DecodedFrame;
}

describe('heatmap on the frame', () => {
  it('samples each source pixel at its centre through a pad placement', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => i / 63);
    // An 8×4 frame padded into an 8×8 input sits in input rows 2..5; with stride 1 every frame
    // pixel centre lands on a feature cell centre, so the values are the cells themselves.
    const onFrame = heatmapOnFrame(
      { values, rows: 8, columns: 8 },
      { rows: 8, columns: 8 },
      { top: 2, left: 0, height: 4, width: 8 },
      { rows: 4, columns: 8 },
    );
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 8; x++) expect(onFrame.values[y * 8 + x]).toBeCloseTo(values[(y + 2) * 8 + x]!, 6);
    expect(heatmapPeak(onFrame)).toEqual([7, 3]);
  });

  it('interpolates bilinearly between cell centres when upsampling', () => {
    const onFrame = heatmapOnFrame(
      { values: Float32Array.of(0, 1), rows: 1, columns: 2 },
      { rows: 4, columns: 4 },
      { top: 0, left: 0, height: 4, width: 4 },
      { rows: 1, columns: 4 },
    );
    // Cell centres at input x = 1 and 3; pixels centred at 0.5, 1.5, 2.5, 3.5.
    expect(Array.from(onFrame.values)).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('classification explanations', () => {
  it('Grad-CAM on a global-average-pooling + dense head equals CAM', async () => {
    const model = buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 2, seed: 3 });
    for (const classIndex of [0, 1]) {
      const grad = await explainClassification(model, card('stretch'), frame(SIDE, SIDE), {
        method: 'gradcam',
        classIndex,
      });
      const cam = await explainClassification(model, card('stretch'), frame(SIDE, SIDE), { method: 'cam', classIndex });
      grad.featureHeatmap.values.forEach((v, i) => expect(v).toBeCloseTo(cam.featureHeatmap.values[i]!, 4));
    }
    model.dispose();
  });

  it('maps onto a non-square frame, measures trust, restores the weights and leaks no tensors', async () => {
    const model = buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 2, seed: 4 });
    const before = tf.memory().numTensors;
    const probe = tf.zeros([1, SIDE, SIDE, 1]);
    const logitsOf = () => tf.tidy(() => Array.from((model.predict(probe) as tf.Tensor).dataSync()));
    const logitsBefore = logitsOf();
    const result = await explainClassification(model, card('pad'), frame(48, 24), { method: 'gradcam++', trust: true });
    expect([result.heatmap.rows, result.heatmap.columns]).toEqual([48, 24]);
    expect(result.classIndex).toBe(result.probabilities.indexOf(Math.max(...result.probabilities)));
    expect(result.targetLayer).toBe(defaultTargetLayer(model));
    const trust = result.trust!;
    for (const v of [trust.deletionAuc, trust.insertionAuc]) expect(v).toBeGreaterThanOrEqual(0);
    expect(Math.abs(trust.sanityCorrelation)).toBeLessThanOrEqual(1);
    expect(logitsOf()).toEqual(logitsBefore);
    probe.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects a class or a layer the model does not have', async () => {
    const model = buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 2, seed: 5 });
    await expect(
      explainClassification(model, card('stretch'), frame(SIDE, SIDE), { method: 'gradcam', classIndex: 2 }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(
      explainClassification(model, card('stretch'), frame(SIDE, SIDE), {
        method: 'gradcam',
        targetLayer: 'head_logits_1',
      }),
    ).rejects.toThrow(/not a feature map/);
    expect(featureMapLayers(model)).toContain(defaultTargetLayer(model));
    model.dispose();
  });

  it('randomising the top layers changes the weights only while the callback runs', async () => {
    const model = buildSmallCnn({ inputShape: [SIDE, SIDE, 1], numClasses: 2, seed: 6 });
    const kernel = () => Array.from(model.layers.at(-1)!.getWeights()[0]!.dataSync());
    const trained = kernel();
    const during = await withRandomisedTop(model, 2, 1, async () => kernel());
    expect(during).not.toEqual(trained);
    expect(kernel()).toEqual(trained);
    model.dispose();
  });
});

describe('rank statistics', () => {
  it('Spearman correlation: monotone, reversed, ties (as scipy)', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 400])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).correlation
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505138, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBe(0);
  });

  it('ranks pixels by decreasing heatmap value', () => {
    expect(Array.from(rankByHeatmap(Float32Array.of(0.1, 0.9, 0.5, 0.9)))).toEqual([1, 3, 2, 0]);
  });
});
