/**
 * Verification metrics against scikit-learn (Debian python3-sklearn): roc_curve point for point,
 * roc_auc_score, the brentq/interp1d EER recipe, and TAR at FAR from roc_curve's points. Cases:
 * well and badly separated score distributions, heavy score ties, few and many pairs.
 */
import { describe, expect, it } from 'vitest';
import { randomNormal, seededRandom } from '../../tests/fixtures/detection-random';
import { runPythonReference } from '../../tests/reference/run-python-reference';
import { equalErrorRate, rocAuc, rocCurve, tarAtFar } from './verification';

interface Case {
  name: string;
  scores: number[];
  labels: (0 | 1)[];
  far: number;
}

function makeCase(name: string, seed: number, n: number, separation: number, far: number, decimals?: number): Case {
  const random = seededRandom(seed);
  const labels: (0 | 1)[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = random() < 0.4 ? 1 : 0;
    let s = randomNormal(random) + (label ? separation : 0);
    if (decimals !== undefined) s = Math.round(s * 10 ** decimals) / 10 ** decimals || 0; // no -0: JSON has none
    labels.push(label);
    scores.push(s);
  }
  return { name, scores, labels, far };
}

interface Reference {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
  auc: number;
  eer: number;
  tar: number;
}

describe('verification metrics equal scikit-learn', () => {
  const cases: Case[] = [
    {
      name: 'tiny, hand-sized',
      scores: [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3],
      labels: [1, 1, 0, 1, 0, 0, 0],
      far: 0.25,
    },
    makeCase('well separated', 1, 600, 3, 0.01),
    makeCase('overlapping', 2, 800, 1, 0.01),
    makeCase('heavy ties', 3, 500, 1.5, 0.05, 1),
    makeCase('few pairs', 4, 40, 2, 0.1),
    makeCase('inverted scores', 5, 300, -1, 0.2),
  ];
  const reference = runPythonReference<{ results: Reference[] }>('sklearn_verification.py', { cases });

  it.each(cases.map((c, i) => [c.name, c, reference.results[i]!] as const))('%s', (_name, c, ref) => {
    const roc = rocCurve(c.scores, c.labels);
    expect(roc.thresholds[0]).toBe(Number.POSITIVE_INFINITY);
    expect(roc.thresholds.slice(1)).toEqual(ref.thresholds);
    expect(roc.fpr).toEqual(ref.fpr);
    expect(roc.tpr).toEqual(ref.tpr);
    expect(rocAuc(c.scores, c.labels)).toBeCloseTo(ref.auc, 12);
    expect(equalErrorRate(c.scores, c.labels).eer).toBeCloseTo(ref.eer, 10);
    expect(tarAtFar(c.scores, c.labels, c.far)).toBe(ref.tar);
  });
});
