/**
 * COCO detection metrics on hand-built cases whose values follow from the definitions by hand
 * (each case says how). The comparison with pycocotools itself is detection.reference.test.ts.
 * Precision is TP / (TP + FP + ε) with ε = np.spacing(1), as in COCOeval, so "1" reads 1 − 1e-16.
 */
import { describe, expect, it } from 'vitest';
import type { Box } from '../detection/boxes';
import { COCO_IOU_THRESHOLDS, COCO_RECALL_POINTS, evaluateDetections, type DetectionEvalImage } from './detection';

const gt = (box: Box, classId = 0, crowd = false) => ({ box, classId, crowd });
const det = (box: Box, score: number, classId = 0) => ({ box, score, classId });

describe('evaluateDetections: exact values', () => {
  it('COCO thresholds and recall points are np.linspace', () => {
    expect(COCO_IOU_THRESHOLDS).toHaveLength(10);
    expect(COCO_IOU_THRESHOLDS[0]).toBe(0.5);
    expect(COCO_IOU_THRESHOLDS[9]).toBe(0.95);
    expect(COCO_RECALL_POINTS).toHaveLength(101);
    expect(COCO_RECALL_POINTS[100]).toBeCloseTo(1, 12);
  });

  it('perfect detections: every AP is 1', () => {
    const images: DetectionEvalImage[] = [
      { groundTruth: [gt([0, 0, 10, 10])], detections: [det([0, 0, 10, 10], 0.9)] },
      { groundTruth: [gt([5, 5, 50, 60])], detections: [det([5, 5, 50, 60], 0.4)] },
    ];
    const m = evaluateDetections(images);
    for (const v of [m.mAP, m.mAP50, m.mAP75, m.ar100]) expect(v).toBeCloseTo(1, 12);
    expect(m.atThreshold).toMatchObject({
      truePositives: 1,
      falsePositives: 0,
      falseNegatives: 1,
      precision: 1,
      recall: 0.5,
    });
  });

  it('a false positive ranked above the true one: precision 1/2 at every recall point, AP = 0.5', () => {
    // Ranked: FP (recall 0, precision 0), TP (recall 1, precision 1/2); monotone from the right: [1/2, 1/2].
    const m = evaluateDetections([
      { groundTruth: [gt([0, 0, 10, 10])], detections: [det([50, 50, 60, 60], 0.9), det([0, 0, 10, 10], 0.8)] },
    ]);
    expect(m.mAP50).toBeCloseTo(0.5, 12);
    expect(m.mAP).toBeCloseTo(0.5, 12);
  });

  it('half the objects found: precision 1 up to recall 0.5, so AP = 51/101 (recall points 0 … 0.50)', () => {
    const m = evaluateDetections([
      { groundTruth: [gt([0, 0, 10, 10]), gt([20, 20, 30, 30])], detections: [det([0, 0, 10, 10], 0.9)] },
    ]);
    expect(m.mAP50).toBeCloseTo(51 / 101, 12);
    expect(m.ar100).toBeCloseTo(0.5, 12);
  });

  it('a box at IoU 0.7 matches at 5 of the 10 thresholds (0.50 … 0.70): AP@[.5:.95] = 0.5', () => {
    const m = evaluateDetections([{ groundTruth: [gt([0, 0, 10, 10])], detections: [det([0, 0, 10, 7], 0.9)] }]);
    expect(m.mAP50).toBeCloseTo(1, 12);
    expect(m.mAP75).toBe(0);
    expect(m.mAP).toBeCloseTo(0.5, 12);
  });

  it('mAP is the mean over classes; a class without ground truth is left out', () => {
    const images: DetectionEvalImage[] = [
      {
        groundTruth: [gt([0, 0, 10, 10], 0), gt([20, 0, 30, 10], 1)],
        detections: [
          det([0, 0, 10, 10], 0.9, 0),
          det([60, 60, 70, 70], 0.95, 1),
          det([20, 0, 30, 10], 0.5, 1),
          det([80, 80, 90, 90], 0.99, 2),
        ],
      },
    ];
    const m = evaluateDetections(images);
    expect(m.perClass.map((c) => c.ap50)).toEqual([expect.closeTo(1, 12), expect.closeTo(0.5, 12), null]);
    expect(m.mAP50).toBeCloseTo(0.75, 12);
    // At score ≥ 0.5: class 0 TP, class 1 FP + TP, class 2 FP.
    expect(m.atThreshold).toMatchObject({
      truePositives: 2,
      falsePositives: 2,
      falseNegatives: 0,
      precision: 0.5,
      recall: 1,
    });
  });

  it('crowd regions: detections inside are neither hits nor misses, and the crowd is never missed', () => {
    const images: DetectionEvalImage[] = [
      {
        groundTruth: [gt([0, 0, 10, 10]), gt([100, 100, 200, 200], 0, true)],
        detections: [det([110, 110, 130, 130], 0.99), det([150, 150, 170, 170], 0.98), det([0, 0, 10, 10], 0.5)],
      },
    ];
    const m = evaluateDetections(images);
    expect(m.mAP).toBeCloseTo(1, 12);
    expect(m.atThreshold).toMatchObject({ truePositives: 1, falsePositives: 0, falseNegatives: 0 });
  });

  it('area ranges: a small and a large object evaluated apart', () => {
    // Small object found; large object's detection is off (IoU 0.25): small AP 1, large AP 0.
    const m = evaluateDetections([
      {
        groundTruth: [gt([0, 0, 20, 20]), gt([100, 100, 300, 300])],
        detections: [det([0, 0, 20, 20], 0.9), det([100, 100, 200, 200], 0.8)],
      },
    ]);
    expect(m.mAPSmall).toBeCloseTo(1, 12);
    expect(m.mAPLarge).toBe(0);
    expect(m.mAPMedium).toBeNull();
    // All areas at IoU 0.5: ranked TP then FP, recall 1/2: AP = 51/101.
    expect(m.mAP50).toBeCloseTo(51 / 101, 12);
  });

  it('maxDetections counts per image: the lower-scored detection is not seen', () => {
    const images: DetectionEvalImage[] = [
      {
        groundTruth: [gt([0, 0, 10, 10]), gt([20, 20, 30, 30])],
        detections: [det([0, 0, 10, 10], 0.9), det([20, 20, 30, 30], 0.8)],
      },
    ];
    expect(evaluateDetections(images, { maxDetections: 1 }).mAP50).toBeCloseTo(51 / 101, 12);
    expect(evaluateDetections(images).ar1).toBeCloseTo(0.5, 12);
  });

  it('one match per ground truth: a duplicate is a false positive', () => {
    // TP (0.9), duplicate FP (0.8): precision [1, 1/2], recall [1, 1]: AP = 1; at threshold: 1 TP, 1 FP.
    const m = evaluateDetections([
      { groundTruth: [gt([0, 0, 10, 10])], detections: [det([0, 0, 10, 10], 0.9), det([0, 0, 10, 10], 0.8)] },
    ]);
    expect(m.mAP50).toBeCloseTo(1, 12);
    expect(m.atThreshold).toMatchObject({ truePositives: 1, falsePositives: 1, precision: 0.5 });
  });

  it('no images or no ground truth at all: nothing to measure, reported as null', () => {
    const m = evaluateDetections([{ groundTruth: [], detections: [det([0, 0, 1, 1], 0.9)] }]);
    expect(m.mAP).toBeNull();
    expect(m.atThreshold.recall).toBeNull();
    expect(evaluateDetections([]).mAP).toBeNull();
  });
});
