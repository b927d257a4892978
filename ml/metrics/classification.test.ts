import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../data/random';
import { runReference } from '../../tests/helpers/python-reference';
import { classificationReport } from './classification';

interface Reference {
  accuracy: number;
  confusion: number[][];
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macro: { precision: number; recall: number; f1: number; rocAuc: number | null };
  weighted: { precision: number; recall: number; f1: number };
  rocAuc: (number | null)[];
  roc: ({ fpr: number[]; tpr: number[]; thresholds: number[] } | null)[];
}

/** Float agreement with scikit-learn: same formulas, summation order may differ. */
const TOLERANCE = 1e-12;

/** Generated cases: ties in scores, classes never predicted, classes absent from the truth. */
function makeCase(rng: SeededRandom, k: number, n: number, options: { quantise: boolean; dropClass: boolean }) {
  const truth = Array.from({ length: n }, () => rng.int(options.dropClass ? k - 1 : k));
  const probabilities = truth.map((t) => {
    const raw = Array.from({ length: k }, (_, c) => rng.next() + (c === t ? rng.uniform(0, 1.2) : 0));
    const values = options.quantise ? raw.map((v) => Math.round(v * 4) / 4 + 0.01) : raw;
    const sum = values.reduce((a, b) => a + b, 0);
    return values.map((v) => v / sum);
  });
  return { kind: 'classification', classes: k, truth, probabilities };
}

describe('classification metrics match scikit-learn', () => {
  const rng = new SeededRandom(42);
  const cases = [
    makeCase(rng, 2, 40, { quantise: false, dropClass: false }),
    makeCase(rng, 2, 25, { quantise: true, dropClass: false }),
    makeCase(rng, 3, 60, { quantise: true, dropClass: false }),
    makeCase(rng, 4, 50, { quantise: false, dropClass: false }),
    makeCase(rng, 3, 30, { quantise: false, dropClass: true }),
    makeCase(rng, 5, 12, { quantise: true, dropClass: false }),
    // Every prediction is class 0: zero_division for the others.
    {
      kind: 'classification',
      classes: 3,
      truth: [0, 1, 2, 1, 0],
      probabilities: Array.from({ length: 5 }, () => [0.8, 0.1, 0.1]),
    },
  ];
  const references = runReference<Reference[]>('sklearn_metrics.py', cases);

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const ref = references[i]!;
    const names = Array.from({ length: c.classes }, (_, k) => `class ${k}`);
    const report = classificationReport(c.truth, c.probabilities, names, 'test');
    expect(report.confusionMatrix).toEqual(ref.confusion);
    expect(report.accuracy).toBeCloseTo(ref.accuracy, 12);
    report.perClass.forEach((pc, k) => {
      expect(pc.precision).toBeCloseTo(ref.precision[k]!, 12);
      expect(pc.recall).toBeCloseTo(ref.recall[k]!, 12);
      expect(pc.f1).toBeCloseTo(ref.f1[k]!, 12);
      expect(pc.support).toBe(ref.support[k]);
      if (ref.rocAuc[k] === null) expect(pc.rocAuc).toBeNull();
      else expect(Math.abs(pc.rocAuc! - ref.rocAuc[k]!)).toBeLessThan(TOLERANCE);
      const refRoc = ref.roc[k];
      if (refRoc === null) expect(pc.roc).toBeNull();
      else {
        expect(pc.roc!.thresholds.length).toBe(refRoc!.thresholds.length);
        pc.roc!.fpr.forEach((v, j) => expect(Math.abs(v - refRoc!.fpr[j]!)).toBeLessThan(TOLERANCE));
        pc.roc!.tpr.forEach((v, j) => expect(Math.abs(v - refRoc!.tpr[j]!)).toBeLessThan(TOLERANCE));
        pc.roc!.thresholds.forEach((v, j) => expect(Math.abs(v - refRoc!.thresholds[j]!)).toBeLessThan(TOLERANCE));
      }
    });
    for (const key of ['precision', 'recall', 'f1'] as const) {
      expect(report.macro[key]).toBeCloseTo(ref.macro[key], 12);
      expect(report.weighted[key]).toBeCloseTo(ref.weighted[key], 12);
    }
    if (ref.macro.rocAuc === null) expect(report.macro.rocAuc).toBeNull();
    else expect(Math.abs(report.macro.rocAuc! - ref.macro.rocAuc)).toBeLessThan(TOLERANCE);
  });
});
