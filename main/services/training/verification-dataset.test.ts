import { describe, expect, it } from 'vitest';
import type { SplitName } from '../../../contract/index';
import { identityReport, pairReport, splitPairProblem, trainSplitRefusal } from './verification-dataset';

const images = (split: SplitName, perIdentity: Record<string, number>) =>
  Object.entries(perIdentity).flatMap(([identity, n]) => Array.from({ length: n }, () => ({ split, identity })));

describe('pairs formed inside each split', () => {
  it('counts, from identities, C(n, 2) genuine pairs per identity and the rest of the split as impostors', () => {
    const report = identityReport([
      ...images('train', { a: 3, b: 2, c: 1 }),
      ...images('val', { d: 4 }),
      ...images('test', { e: 1, f: 1 }),
    ]);
    expect(report.splitPairs).toEqual([
      // 6 images: 15 pairs, of which C(3,2) + C(2,2) = 4 genuine.
      { split: 'train', identities: 3, images: 6, genuine: 4, impostor: 11 },
      { split: 'val', identities: 1, images: 4, genuine: 6, impostor: 0 },
      { split: 'test', identities: 2, images: 2, genuine: 0, impostor: 1 },
    ]);
    expect(report.warnings).toEqual([
      'The val split has 6 genuine pairs and 0 impostor pairs (4 images of 1 identity), so no EER can be measured on it: give it images of more identities (assign splits again with a larger val fraction, or label more identities).',
      'The test split has 0 genuine pairs and 1 impostor pair (2 images of 2 identities), so no EER can be measured on it: give some of its identities two images or more.',
    ]);
    expect(trainSplitRefusal(report)).toBeNull();
  });

  it('counts, from labelled pairs, the identities their same pairs join', () => {
    // Split train: 1–2–3 joined by same pairs, 4 alone; val: only same pairs.
    const report = pairReport(
      [
        { split: 'train', same: true, a: 1, b: 2 },
        { split: 'train', same: true, a: 2, b: 3 },
        { split: 'train', same: false, a: 3, b: 4 },
        { split: 'val', same: true, a: 5, b: 6 },
        { split: 'val', same: true, a: 7, b: 8 },
      ],
      new Map(),
    );
    expect(report.splitPairs).toEqual([
      { split: 'train', identities: 2, images: 4, genuine: 2, impostor: 1 },
      { split: 'val', identities: 2, images: 4, genuine: 2, impostor: 0 },
      { split: 'test', identities: 0, images: 0, genuine: 0, impostor: 0 },
    ]);
    // An empty test split is no split to measure, not a problem of its pairs.
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(
      /^The val split has 2 same pairs and 0 different pairs labelled inside it \(4 images of 2 identities\)/,
    );
  });

  it('refuses a train split that holds one identity, naming it', () => {
    const report = identityReport([...images('train', { a: 4 }), ...images('test', { b: 2, c: 2 })]);
    expect(trainSplitRefusal(report)).toMatch(
      /^A verifier learns from genuine and impostor pairs\. The train split has 6 genuine pairs and 0 impostor pairs \(4 images of 1 identity\)/,
    );
    expect(splitPairProblem('identities', report.splitPairs[2]!)).toBeNull();
  });
});
