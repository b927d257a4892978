/**
 * "Label next" arithmetic against NumPy, SciPy and scikit-learn (tests/reference/uncertainty_reference.py):
 * entropy and margin of the same probabilities, the orderings they give, and greedy k-center picks
 * with their distances on a fixed set; the segmentation measure (mean pixel entropy) lives in ml.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../contract/random';
import { runPythonReference } from '../../../tests/reference/run-python-reference';
import { byScore, entropy, kCenter, margin } from './uncertainty';

interface Reference {
  entropy: number[];
  margin: number[];
  byEntropy: number[];
  byMargin: number[];
  kCenter: number[];
  kCenterDistances: (number | null)[];
  kCenterNearest: (number | null)[];
}

const IMAGES = 60;
const CLASSES = 4;
const K = 8;

function probabilities(seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: IMAGES }, (_, i) => {
    // Some confident, some split, one exactly uniform: the whole range of the measures.
    const sharpness = i === 0 ? 0 : 0.2 + 4 * random();
    const e = Array.from({ length: CLASSES }, () => Math.exp(sharpness * 3 * random()));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
}

describe('uncertainty against NumPy / SciPy / scikit-learn', () => {
  const p = probabilities(11);
  const h = p.map(entropy);
  const m = p.map(margin);
  const pool = byScore(h).slice(0, 4 * K);
  const reference = runPythonReference<Reference>('uncertainty_reference.py', {
    probabilities: p,
    k: K,
    pool,
    logits: [[0, 0]],
  });

  it('entropy (nats) and margin equal scipy.stats.entropy and the sorted top-two difference', () => {
    h.forEach((v, i) => expect(v).toBeCloseTo(reference.entropy[i]!, 10));
    m.forEach((v, i) => expect(v).toBeCloseTo(reference.margin[i]!, 10));
    expect(h[0]).toBeCloseTo(Math.log(CLASSES), 10);
  });

  it('orders images most uncertain first exactly as NumPy does', () => {
    expect(byScore(h)).toEqual(reference.byEntropy);
    expect(byScore(m.map((v) => 1 - v))).toEqual(reference.byMargin);
  });

  it('greedy k-center picks and distances equal the reference over the same pool', () => {
    const picks = kCenter(p, pool, K);
    expect(picks.map((c) => c.index)).toEqual(reference.kCenter);
    expect(picks.map((c) => c.nearest)).toEqual(reference.kCenterNearest);
    picks.forEach((c, i) => {
      const want = reference.kCenterDistances[i];
      if (want === null || want === undefined) expect(c.distance).toBeNull();
      else expect(c.distance).toBeCloseTo(want, 10);
    });
    // Spread: every later pick is at most as far from the others as the one before it.
    for (let i = 2; i < picks.length; i++) expect(picks[i]!.distance!).toBeLessThanOrEqual(picks[i - 1]!.distance!);
  });

  it('k-center stops at the pool size and starts from the most uncertain image', () => {
    const picks = kCenter(p, pool.slice(0, 3), 10);
    expect(picks.map((c) => c.index)).toHaveLength(3);
    expect(picks[0]).toEqual({ index: pool[0], distance: null, nearest: null });
  });
});
