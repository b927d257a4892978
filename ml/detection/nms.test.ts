import { describe, expect, it } from 'vitest';
import { boxArea, clipBox, fromCenter, fromXywh, giou, iou, iouMatrix, toCenter, toXywh, type Box } from './boxes';
import { nms, orderByScore, softNms } from './nms';
import { postprocessDetections } from './postprocess';

describe('box geometry', () => {
  it.each<[string, Box, Box, number, number]>([
    // name, a, b, IoU, GIoU (hand-computed)
    ['identical', [0, 0, 4, 4], [0, 0, 4, 4], 1, 1],
    ['half overlap', [0, 0, 2, 1], [0, 0, 1, 1], 0.5, 0.5],
    ['disjoint, touching', [0, 0, 1, 1], [1, 0, 2, 1], 0, 0],
    // union 2, enclosing [0,0,3,1] area 3: GIoU = 0 − (3 − 2)/3
    ['disjoint with a gap', [0, 0, 1, 1], [2, 0, 3, 1], 0, -1 / 3],
    // inter 1, union 7, enclosing 9
    ['corner overlap', [0, 0, 2, 2], [1, 1, 3, 3], 1 / 7, 1 / 7 - 2 / 9],
    ['zero-area pair', [2, 2, 2, 2], [2, 2, 2, 2], 0, 0],
  ])('%s', (_name, a, b, expectedIou, expectedGiou) => {
    expect(iou(a, b)).toBeCloseTo(expectedIou, 12);
    expect(iou(b, a)).toBeCloseTo(expectedIou, 12);
    expect(giou(a, b)).toBeCloseTo(expectedGiou, 12);
  });

  it('converts between conventions and clips', () => {
    expect(fromXywh(1, 2, 3, 4)).toEqual([1, 2, 4, 6]);
    expect(toXywh([1, 2, 4, 6])).toEqual([1, 2, 3, 4]);
    expect(fromCenter(5, 5, 4, 2)).toEqual([3, 4, 7, 6]);
    expect(toCenter([3, 4, 7, 6])).toEqual([5, 5, 4, 2]);
    expect(clipBox([-3, 2, 12, 20], 10, 8)).toEqual([0, 2, 10, 8]);
    expect(boxArea(clipBox([20, 20, 30, 30], 10, 10))).toBe(0);
    expect(Array.from(iouMatrix([0, 0, 2, 1, 5, 5, 6, 6], [0, 0, 1, 1]))).toEqual([0.5, 0]);
  });
});

describe('nms', () => {
  it('sorts stably by score and rejects NaN scores and bad thresholds', () => {
    expect(orderByScore([0.5, 0.9, 0.5, 0.9])).toEqual([1, 3, 0, 2]);
    expect(() => nms([0, 0, 1, 1], [Number.NaN], 0.5)).toThrow(/NaN/);
    expect(() => nms([0, 0, 1, 1], [0.5], 1.5)).toThrow(/\[0, 1\]/);
    expect(() => nms([0, 0, 1], [0.5], 0.5)).toThrow(/4 numbers/);
  });
});

describe('softNms', () => {
  // A and B overlap with IoU 0.5; C is apart.
  const boxes = [0, 0, 10, 10, 0, 0, 10, 5, 50, 50, 60, 60];
  const scores = [0.9, 0.8, 0.7];

  it('linear: decays by (1 − IoU) above the threshold', () => {
    const out = softNms(boxes, scores, { method: 'linear', iouThreshold: 0.3 });
    expect(out.indices).toEqual([0, 2, 1]);
    expect(out.scores[2]).toBeCloseTo(0.8 * 0.5, 12);
    expect(softNms(boxes, scores, { method: 'linear', iouThreshold: 0.5 }).scores).toEqual([0.9, 0.8, 0.7]);
  });

  it('gaussian: decays by exp(−IoU²/σ)', () => {
    const out = softNms(boxes, scores, { method: 'gaussian', sigma: 0.5 });
    expect(out.indices).toEqual([0, 2, 1]);
    expect(out.scores[2]).toBeCloseTo(0.8 * Math.exp(-0.25 / 0.5), 12);
  });

  it('drops boxes decayed below the score threshold, and identical boxes under linear decay', () => {
    const out = softNms([0, 0, 4, 4, 0, 0, 4, 4], [0.9, 0.8], { method: 'linear', iouThreshold: 0.3 });
    expect(out.indices).toEqual([0]);
    const gauss = softNms(boxes, scores, { method: 'gaussian', sigma: 0.5, scoreThreshold: 0.6 });
    expect(gauss.indices).toEqual([0, 2]);
  });
});

describe('postprocessDetections', () => {
  const candidates = {
    boxes: [0, 0, 10, 10, 1, 1, 10, 10, 0, 0, 10, 10, 30, 30, 40, 40, 31, 31, 40, 40],
    scores: [0.9, 0.85, 0.6, 0.02, 0.7],
    classIds: [0, 0, 1, 0, 0],
  };

  it('thresholds, suppresses within each class and sorts by score', () => {
    const out = postprocessDetections(candidates, { scoreThreshold: 0.05, iouThreshold: 0.5 });
    expect(out.map((d) => [d.classId, d.score])).toEqual([
      [0, 0.9],
      [0, 0.7],
      [1, 0.6],
    ]);
    expect(out[0]!.box).toEqual([0, 0, 10, 10]);
  });

  it('class-agnostic suppression and max detections', () => {
    expect(postprocessDetections(candidates, { classAgnostic: true }).map((d) => d.score)).toEqual([0.9, 0.7]);
    expect(postprocessDetections(candidates, { maxDetections: 1 }).map((d) => d.score)).toEqual([0.9]);
    expect(postprocessDetections(candidates, { maxDetections: 0 })).toEqual([]);
  });

  it('soft-NMS keeps decayed overlaps, re-sorted by their new scores', () => {
    const out = postprocessDetections(candidates, { method: 'soft-linear', iouThreshold: 0.5 });
    // IoU(box 0, box 1) = 81/100 > 0.5: 0.85 × 0.19 = 0.1615, below the untouched 0.7 and 0.6.
    expect(out.map((d) => d.score)).toEqual([0.9, 0.7, 0.6, expect.closeTo(0.85 * 0.19, 6)]);
  });
});
