/**
 * Mean per-pixel entropy of segmentation logits (the "Label next" measure for masks) against
 * SciPy's softmax and entropy, for a many-class softmax head and a one-channel sigmoid head.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../contract/random';
import { runPythonReference } from '../../tests/reference/run-python-reference';
import { meanPixelEntropy } from './outputs';

const PIXELS = 200;

function reference(logits: number[][]): number {
  return runPythonReference<{ meanPixelEntropy: number }>('uncertainty_reference.py', {
    probabilities: [
      [0.5, 0.5],
      [0.9, 0.1],
    ],
    k: 1,
    pool: [0],
    logits,
  }).meanPixelEntropy;
}

describe('meanPixelEntropy', () => {
  const random = seededRandom(5);

  it('equals the mean entropy of softmax over channels', () => {
    const rows = Array.from({ length: PIXELS }, () => [0, 1, 2].map(() => 6 * random() - 3));
    const got = meanPixelEntropy(Float32Array.from(rows.flat()), 0, PIXELS, 3);
    expect(got).toBeCloseTo(reference(rows), 5);
  });

  it('reads one channel as a sigmoid: the entropy of softmax([0, logit])', () => {
    const logits = Array.from({ length: PIXELS }, () => 10 * random() - 5);
    const got = meanPixelEntropy(Float32Array.from([99, ...logits]), 1, PIXELS, 1);
    expect(got).toBeCloseTo(reference(logits.map((z) => [0, z])), 5);
  });
});
