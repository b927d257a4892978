/**
 * Calibration against scikit-learn and scipy (Debian python3-sklearn, python3-scipy): the
 * reliability bins and ECE against `calibration_curve(strategy='uniform')` bin for bin, and the
 * fitted temperature against scipy's bounded `minimize_scalar` of the same NLL. Cases:
 * over- and under-confident three-class models, confidences exactly on bin edges, few images.
 */
import { describe, expect, it } from 'vitest';
import { randomNormal, seededRandom } from '../../tests/fixtures/detection-random';
import { runPythonReference } from '../../tests/reference/run-python-reference';
import { applyTemperature, calibration, fitTemperature, negativeLogLikelihood } from './calibration';

interface Case {
  name: string;
  probabilities: number[][];
  truth: number[];
  bins: number;
}

/** Softmax of noisy logits scaled by `sharpness` (> 1: over-confident, < 1: under-confident). */
function makeCase(name: string, seed: number, n: number, sharpness: number, bins: number, decimals?: number): Case {
  const random = seededRandom(seed);
  const probabilities: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = Math.floor(random() * 3);
    const logits = [0, 1, 2].map((k) => sharpness * (randomNormal(random) + (k === label ? 1.2 : 0)));
    let p = applyTemperature(logits.map(Math.exp), 1);
    // Rounded: confidences land exactly on bin edges (0.1, 0.5, …), and some classes on 0.
    if (decimals !== undefined) {
      p = p.map((q) => Math.round(q * 10 ** decimals) / 10 ** decimals);
      const top = p.indexOf(Math.max(...p));
      p[top] = Math.round((1 - p.reduce((a, q, k) => (k === top ? a : a + q), 0)) * 10 ** decimals) / 10 ** decimals;
    }
    probabilities.push(p);
    truth.push(label);
  }
  return { name, probabilities, truth, bins };
}

const CASES: Case[] = [
  makeCase('over-confident, 400 images', 1, 400, 3, 10),
  makeCase('under-confident, 400 images', 2, 400, 0.4, 10),
  makeCase('on bin edges', 3, 300, 1.5, 10, 1),
  makeCase('15 bins', 4, 250, 2, 15),
  makeCase('few images', 5, 12, 1, 5),
];

const top = (p: number[]) => p.indexOf(Math.max(...p));

describe('calibration against scikit-learn and scipy', () => {
  const inputs = CASES.map((c) => ({
    confidences: c.probabilities.map((p) => Math.max(...p)),
    correct: c.probabilities.map((p, i) => (top(p) === c.truth[i] ? 1 : 0)),
    bins: c.bins,
    probabilities: c.probabilities,
    truth: c.truth,
  }));
  const reference = runPythonReference<
    { probTrue: number[]; probPred: number[]; counts: number[]; ece: number; temperature: number; nllAtOne: number }[]
  >('sklearn_calibration.py', inputs);

  CASES.forEach((c, i) => {
    it(c.name, () => {
      const input = inputs[i]!;
      const ref = reference[i]!;
      const result = calibration(input.confidences, input.correct.map(Boolean), c.bins);
      expect(result.bins.map((b) => b.count)).toEqual(ref.counts);
      const filled = result.bins.filter((b) => b.count > 0);
      filled.forEach((b, k) => {
        expect(b.accuracy).toBeCloseTo(ref.probTrue[k]!, 12);
        expect(b.confidence).toBeCloseTo(ref.probPred[k]!, 12);
      });
      expect(result.ece).toBeCloseTo(ref.ece, 12);
      expect(negativeLogLikelihood(c.probabilities, c.truth, 1)).toBeCloseTo(ref.nllAtOne, 10);
      const t = fitTemperature(c.probabilities, c.truth);
      expect(Math.abs(Math.log(t) - Math.log(ref.temperature))).toBeLessThan(1e-5);
      expect(negativeLogLikelihood(c.probabilities, c.truth, t)).toBeLessThanOrEqual(ref.nllAtOne + 1e-12);
    });
  });

  it('softens an over-confident model and sharpens an under-confident one', () => {
    expect(fitTemperature(CASES[0]!.probabilities, CASES[0]!.truth)).toBeGreaterThan(1);
    expect(fitTemperature(CASES[1]!.probabilities, CASES[1]!.truth)).toBeLessThan(1);
  });
});
