/** Verification metrics on a hand-sized case whose ROC is worked out below; sklearn checks are in verification.reference.test.ts. */
import { describe, expect, it } from 'vitest';
import { equalErrorRate, operatingPointAtFar, ratesAtThreshold, rocCurve, verificationMetrics } from './verification';

// 3 genuine (1) and 4 impostor (0) pairs. Accepting score ≥ t, the full ROC (t: FAR, TAR) is
// ∞: 0, 0 · 0.9: 0, 1/3 · 0.8: 0, 2/3 · 0.7: 1/4, 2/3 · 0.6: 1/4, 1 · 0.55: 1/2, 1 · 0.4: 3/4, 1 · 0.3: 1, 1
const scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3];
const labels = [1, 1, 0, 1, 0, 0, 0] as const;

describe('verification metrics by hand', () => {
  it('full ROC', () => {
    const roc = rocCurve(scores, labels, { dropIntermediate: false });
    expect(roc.fpr).toEqual([0, 0, 0, 0.25, 0.25, 0.5, 0.75, 1]);
    expect(roc.tpr).toEqual([0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1, 1]);
  });

  it('EER: FRR − FAR changes sign on the vertical segment at FAR 1/4, so EER = 1/4 (threshold 0.6)', () => {
    expect(equalErrorRate(scores, labels)).toEqual({ eer: 0.25, threshold: 0.6 });
  });

  it('operating point: the lowest threshold whose FAR stays within the target', () => {
    expect(operatingPointAtFar(scores, labels, 0)).toMatchObject({ threshold: 0.8, far: 0, tar: 2 / 3 });
    expect(operatingPointAtFar(scores, labels, 0.3)).toMatchObject({
      threshold: 0.6,
      far: 0.25,
      tar: 1,
      impostorCount: 4,
      genuineCount: 3,
    });
    expect(ratesAtThreshold(scores, labels, 0.6)).toEqual({ far: 0.25, tar: 1 });
  });

  it('when even the top score is an impostor, the threshold lies just above it and accepts nothing', () => {
    const point = operatingPointAtFar([0.9, 0.5], [0, 1], 0.01);
    expect(point.threshold).toBeGreaterThan(0.9);
    expect(point.threshold - 0.9).toBeLessThan(1e-15);
    expect(point).toMatchObject({ far: 0, tar: 0 });
  });

  it('summary: AUC of perfectly separated scores is 1 and EER 0', () => {
    const m = verificationMetrics([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]);
    expect(m).toMatchObject({ auc: 1, eer: 0, tarAtFar: 1, targetFar: 0.01, genuineCount: 2, impostorCount: 2 });
  });

  it('says what is wrong with bad input', () => {
    expect(() => rocCurve([0.1, 0.2], [1, 1])).toThrow(/both same and different/);
    expect(() => rocCurve([0.1], [2])).toThrow(/0 \(different\) or 1 \(same\)/);
    expect(() => rocCurve([Number.NaN, 0.2], [1, 0])).toThrow(/finite/);
    expect(() => operatingPointAtFar(scores, labels, 2)).toThrow(/\[0, 1\]/);
  });
});
