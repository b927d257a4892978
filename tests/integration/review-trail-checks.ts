/** What the review trail test checks of every queue it gets back. */
import { expect } from 'vitest';
import type { ReplyOf, ReviewQueueItem } from '../../contract/index';

/** The items come in descending order of `key`. */
export function check(items: ReviewQueueItem[], key: (i: ReviewQueueItem) => number): void {
  for (let i = 1; i < items.length; i++) expect(key(items[i - 1]!)).toBeGreaterThanOrEqual(key(items[i]!));
}

/** Each item's score, margin, entropy and disagreement follow from its probabilities and label. */
export function expectQueueMeasures(queue: ReplyOf<'review.queue'>): void {
  for (const item of queue.items) {
    const p = item.prediction.probabilities;
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(item.score).toBe(Math.max(...p));
    expect(item.margin).toBeCloseTo(Math.abs(p[0]! - p[1]!), 12);
    expect(item.entropy).toBeCloseTo(-p.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0), 12);
    const predictedId = queue.classes[item.prediction.predicted]!.classId;
    expect(item.disagrees).toBe(!item.labelClassIds.includes(predictedId!));
  }
}
