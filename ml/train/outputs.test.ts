import { describe, expect, it } from 'vitest';
import { softmaxRow } from './outputs';

/** Softmax in float64 straight from its definition, over `row`. */
function reference(row: number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

describe('softmaxRow', () => {
  it('is the softmax of the row at its offset, the same to the last bit as the definition', () => {
    const logits = Float32Array.from([9, 9, 0.5, -1.25, 3, 2, 7, 7, 7]);
    expect(softmaxRow(logits, 2, 4)).toEqual(reference([0.5, -1.25, 3, 2]));
    expect(softmaxRow(logits, 6, 3)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(softmaxRow([4], 0, 1)).toEqual([1]);
  });

  it('stays finite for large logits (the maximum is subtracted first)', () => {
    const p = softmaxRow([1000, 1001, -1000], 0, 3);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(p).toEqual(reference([1000, 1001, -1000]));
    expect(p[1]! / p[0]!).toBeCloseTo(Math.E, 12);
  });
});
