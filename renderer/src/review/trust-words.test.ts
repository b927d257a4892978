import { describe, expect, it } from 'vitest';
import { trustSentences } from './trust-words';

const measures = (deletionAuc: number, insertionAuc: number, sanityPassed: boolean) => ({
  deletionAuc,
  insertionAuc,
  sanityCorrelation: sanityPassed ? 0.1 : 0.9,
  sanityPassed,
});

describe('trust measures in words', () => {
  it.each([
    // deletion, insertion, sanity, image probability → tones
    [0.1, 0.85, true, 0.9, ['good', 'good', 'good']],
    [0.5, 0.5, true, 0.8, ['mixed', 'mixed', 'good']],
    [0.75, 0.2, false, 0.8, ['poor', 'poor', 'poor']],
    // Read against the image's probability: 0.3 is a fast drop from 0.95 but not from 0.35.
    [0.3, 0.3, true, 0.95, ['good', 'poor', 'good']],
    [0.3, 0.3, true, 0.35, ['poor', 'good', 'good']],
  ] as const)('deletion %s, insertion %s, sanity %s at p = %s', (d, i, passed, p, tones) => {
    const sentences = trustSentences(measures(d, i, passed), p);
    expect(sentences.map((s) => s.tone)).toEqual(tones);
    expect(sentences[0]!.figure).toBe(`Deletion AUC ${d.toFixed(2)}:`);
  });

  it('says the score drops fast when the hot regions carry the decision', () => {
    const [deletion] = trustSentences(measures(0.05, 0.9, true), 0.9);
    expect(deletion!.words).toContain("the model's score drops fast when these regions are removed");
  });
});
