import { describe, expect, it } from 'vitest';
import type { ReviewQueueItem } from '../../../contract/index';
import { orderQueue, uncertainty } from './queue';

describe('uncertainty', () => {
  const cases: { p: number[]; entropy: number; margin: number; score: number }[] = [
    { p: [0.5, 0.5], entropy: Math.LN2, margin: 0, score: 0.5 },
    { p: [1, 0, 0], entropy: 0, margin: 1, score: 1 },
    {
      p: [0.7, 0.2, 0.1],
      entropy: -(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1)),
      margin: 0.5,
      score: 0.7,
    },
    // Sigmoid outputs need not sum to 1: entropy is taken over them normalised.
    { p: [0.9, 0.9], entropy: Math.LN2, margin: 0, score: 0.9 },
  ];
  for (const c of cases) {
    it(`of [${c.p.join(', ')}]`, () => {
      const u = uncertainty(c.p);
      expect(u.entropy).toBeCloseTo(c.entropy, 12);
      expect(u.margin).toBeCloseTo(c.margin, 12);
      expect(u.score).toBe(c.score);
    });
  }
});

describe('orderQueue', () => {
  const item = (imageId: number, p: number[], disagrees: boolean): ReviewQueueItem => ({
    imageId,
    fileName: `${imageId}.png`,
    prediction: {
      classes: ['a', 'b'],
      probabilities: p,
      predicted: p[0]! >= p[1]! ? 0 : 1,
      predictedClass: '',
      temperature: null,
    },
    ...uncertainty(p),
    labelClassIds: [],
    disagrees,
    verdict: null,
  });
  const items = [
    item(1, [0.9, 0.1], true),
    item(2, [0.55, 0.45], false),
    item(3, [0.2, 0.8], false),
    item(4, [0.6, 0.4], true),
  ];
  const ids = (order: Parameters<typeof orderQueue>[1]) => orderQueue(items, order).map((i) => i.imageId);

  it('puts the most uncertain first by entropy and by margin', () => {
    expect(ids('entropy')).toEqual([2, 4, 3, 1]);
    expect(ids('margin')).toEqual([2, 4, 3, 1]);
  });
  it('puts the most confident first by score', () => expect(ids('score')).toEqual([1, 3, 4, 2]));
  it('puts disagreements with the label first, most uncertain first within each', () =>
    expect(ids('disagreement')).toEqual([4, 1, 2, 3]));
});
