import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giou, type Box } from './boxes';
import { decodeCenterNet } from './centernet-decode';
import { buildCenterNetHead, CENTERNET_CHANNELS } from './centernet-head';
import { encodeCenterNetTargets, gaussianRadius, targetShape, type CenterNetGeometry } from './centernet-targets';
import { centerNetLoss, centerNetLossParts, focalHeatmapLoss, giouLoss, l1BoxLoss } from './losses';
import { postprocessDetections } from './postprocess';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => tf.disposeVariables());

const geometry: CenterNetGeometry = { inputWidth: 64, inputHeight: 48, stride: 4, numClasses: 3 };

describe('CenterNet targets', () => {
  it('gaussianRadius equals CenterNet gaussian_radius (values printed by its Python code)', () => {
    expect(gaussianRadius(4, 4)).toBeCloseTo(1.0932802122726049, 12);
    expect(gaussianRadius(10, 6)).toBeCloseTo(2.0604675634006213, 12);
    expect(gaussianRadius(32, 32)).toBeCloseTo(8.746241698180839, 12);
    expect(gaussianRadius(3, 17)).toBeCloseTo(1.4544491975611997, 12);
  });

  it('puts a peak of exactly 1 at the centre cell, size and offset there, and a Gaussian around it', () => {
    const t = encodeCenterNetTargets([{ box: [10, 6, 30, 22], classId: 1 }], geometry);
    const [h, w, d] = targetShape(geometry);
    expect([h, w, d]).toEqual([12, 16, 8]);
    // Centre (20, 14) px = (5, 3.5) cells: cell (5, 3), offset (0, 0.5); size 5 × 4 cells.
    const at = (y: number, x: number, ch: number) => t[(y * w + x) * d + ch]!;
    expect(at(3, 5, 1)).toBe(1);
    expect([at(3, 5, 3), at(3, 5, 4), at(3, 5, 5), at(3, 5, 6), at(3, 5, 7)]).toEqual([5, 4, 0, 0.5, 1]);
    const radius = Math.floor(gaussianRadius(4, 5));
    const sigma = (2 * radius + 1) / 6;
    expect(at(3, 6, 1)).toBeCloseTo(Math.exp(-1 / (2 * sigma * sigma)), 6);
    expect(at(3, 5, 0)).toBe(0);
    expect(t.filter((_, i) => i % d === 7).reduce((s, v) => s + v, 0)).toBe(1);
  });

  it('rejects class ids out of range and skips empty boxes', () => {
    expect(() => encodeCenterNetTargets([{ box: [0, 0, 4, 4], classId: 3 }], geometry)).toThrow(/outside 0…2/);
    expect(encodeCenterNetTargets([{ box: [5, 5, 5, 9], classId: 0 }], geometry).every((v) => v === 0)).toBe(true);
  });
});

describe('CenterNet decode', () => {
  it('recovers the encoded boxes from a perfect prediction', async () => {
    const objects: { box: Box; classId: number }[] = [
      { box: [10, 6, 30, 22], classId: 1 },
      { box: [40, 30, 60, 46], classId: 0 },
      { box: [2, 30, 14, 42], classId: 2 },
    ];
    const t = encodeCenterNetTargets(objects, geometry);
    const [h, w, d] = targetShape(geometry);
    const before = tf.memory().numTensors;
    const pred = tf.tidy(() => tf.slice(tf.tensor4d(t, [1, h, w, d]), [0, 0, 0, 0], [1, h, w, d - 1]));
    const [candidates] = await decodeCenterNet(pred, {
      numClasses: 3,
      stride: 4,
      topK: 20,
      imageWidth: 64,
      imageHeight: 48,
    });
    pred.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const detections = postprocessDetections(candidates!, { scoreThreshold: 0.99 });
    expect(detections).toHaveLength(3);
    for (const o of objects) {
      const found = detections.find((det) => det.classId === o.classId)!;
      found.box.forEach((v, i) => expect(v).toBeCloseTo(o.box[i]!, 4));
      expect(found.score).toBe(1);
    }
  });

  it('never turns a box inside out: a negative predicted size decodes to an empty box at the centre', async () => {
    // One class on a 2 × 2 map at stride 4: a single peak at cell (1, 0), size (−3, 2) cells, offset (0.5, 0.5).
    const pred = tf.tensor4d([0, 0, 0, 0, 0, 0.9, -3, 2, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 2, 2, 5]);
    const [candidates] = await decodeCenterNet(pred, {
      numClasses: 1,
      stride: 4,
      topK: 1,
      imageWidth: 8,
      imageHeight: 8,
    });
    pred.dispose();
    // Centre (6, 2); width 0 (not −12); height 8 clipped to the image: y 0…6.
    expect(Array.from(candidates!.boxes)).toEqual([6, 0, 6, 6]);
  });
});

describe('detection losses', () => {
  it('focal heatmap loss by hand: peak p = 0.5, one background cell p = 0.2 with Gaussian 0.5', () => {
    const loss = focalHeatmapLoss(tf.tensor([1, 0.5]), tf.tensor([0.5, 0.2]));
    // −[(1 − 0.5)² log 0.5 + (1 − 0.5)⁴ 0.2² log 0.8] / 1
    const expected = -(0.25 * Math.log(0.5) + 0.0625 * 0.04 * Math.log(0.8));
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 6);
  });

  it('GIoU and L1 box losses agree with the geometry helpers', () => {
    const a: Box[] = [
      [0, 0, 2, 2],
      [0, 0, 1, 1],
      [0, 0, 4, 4],
    ];
    const b: Box[] = [
      [1, 1, 3, 3],
      [2, 0, 3, 1],
      [0, 0, 4, 4],
    ];
    const expected = a.reduce((s, box, i) => s + (1 - giou(box, b[i]!)), 0) / 3;
    expect(giouLoss(tf.tensor2d(a.map((x) => [...x])), tf.tensor2d(b.map((x) => [...x]))).dataSync()[0]).toBeCloseTo(
      expected,
      5,
    );
    expect(l1BoxLoss(tf.tensor2d([[0, 0, 2, 2]]), tf.tensor2d([[1, 0, 2, 4]])).dataSync()[0]).toBeCloseTo(0.75, 6);
  });

  it('the CenterNet loss is zero-ish for a perfect prediction, has gradients, and leaks nothing', () => {
    const t = encodeCenterNetTargets([{ box: [10, 6, 30, 22], classId: 1 }], geometry);
    const [h, w, d] = targetShape(geometry);
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const target = tf.tensor4d(t, [1, h, w, d]);
      const perfect = tf.slice(target, [0, 0, 0, 0], [1, h, w, d - 1]);
      const l1 = centerNetLossParts(target, perfect, { numClasses: 3 });
      const g = centerNetLossParts(target, perfect, { numClasses: 3, sizeLoss: 'giou' });
      const noisy = tf.variable(tf.add(perfect, tf.randomUniform(perfect.shape, -0.3, 0.3, 'float32', 7)));
      const grad = tf.grad((p: tf.Tensor) =>
        centerNetLoss({ numClasses: 3, sizeLoss: 'giou' })(target, tf.clipByValue(p, 0, 10)),
      )(noisy);
      noisy.dispose();
      return [l1.size, l1.offset, g.size, tf.sum(tf.abs(grad)), tf.any(tf.isNaN(grad))].map((x) => x.dataSync()[0]!);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(values.slice(0, 3).every((v) => Math.abs(v) < 1e-3)).toBe(true);
    expect(values[3]).toBeGreaterThan(0);
    expect(values[4]).toBe(0);
  });
});

describe('CenterNet head', () => {
  it('builds on any feature map: one output with numClasses + 4 channels, heatmap starting at the prior', () => {
    const input = tf.input({ shape: [16, 20, 8] });
    const output = buildCenterNetHead(input, { numClasses: 2, headChannels: 8 });
    const model = tf.model({ inputs: input, outputs: output });
    expect(model.outputs[0]!.shape).toEqual([null, 16, 20, 2 + CENTERNET_CHANNELS.regression]);
    const before = tf.memory().numTensors;
    const heat = tf.tidy(
      () =>
        tf
          .mean(tf.slice(model.predict(tf.zeros([1, 16, 20, 8])) as tf.Tensor, [0, 0, 0, 0], [1, 16, 20, 2]))
          .dataSync()[0]!,
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(heat).toBeCloseTo(0.1, 5);
    model.dispose();
    expect(() => buildCenterNetHead(input, { numClasses: 0 })).toThrow(/at least one class/);
  });
});
