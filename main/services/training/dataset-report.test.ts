import { describe, expect, it } from 'vitest';
import type { SplitName } from '../../../contract/index';
import { reportOf, type ImageRow } from './dataset-report';

const row = (id: number, split: SplitName): ImageRow => ({
  id,
  path: `/images/${id}.png`,
  rows: 8,
  columns: 8,
  samples_per_pixel: 1,
  bits_stored: 8,
  format: 'png',
  modality: null,
  missing: 0,
  split,
  frames: 1,
});

/** Images of each class in each split: `[class, split, count]`. */
function chosen(layout: [number, SplitName, number][], identity = false) {
  let id = 0;
  return layout.flatMap(([label, split, n]) =>
    Array.from({ length: n }, () => ({ row: row(++id, split), label, ...(identity ? { identity: `c${label}` } : {}) })),
  );
}

const report = (classes: string[], images: ReturnType<typeof chosen>) =>
  reportOf(classes, { chosen: images, skipped: new Map(), pairs: [] });

describe('the dataset report of a classifier', () => {
  it('warns of a class with val or test images but none in train, naming it', () => {
    const { warnings } = report(
      ['defect', 'ok', 'scrap'],
      chosen([
        [0, 'train', 4],
        [1, 'train', 4],
        [0, 'test', 1],
        [2, 'val', 1],
        [2, 'test', 2],
      ]),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Class scrap has val or test images but none in train: a classifier cannot learn it/);
  });

  it('counts many such classes and names the first three, pointing to a verifier for identities', () => {
    const layout: [number, SplitName, number][] = Array.from({ length: 10 }, (_, c) => [
      c,
      c < 6 ? 'train' : c < 8 ? 'val' : 'test',
      6,
    ]);
    const { warnings } = report(
      Array.from({ length: 10 }, (_, c) => `washer-${c + 1}`),
      chosen(layout),
    );
    expect(warnings[0]).toMatch(
      /^4 of the 10 classes have val or test images but none in train \(washer-7, washer-8, washer-9, …\): .* train a verifier: Train as “verification” \(--kind verification\)\.$/,
    );
  });

  it('says nothing where every class trains, or where the classes are a verifier’s identities', () => {
    expect(
      report(
        ['a', 'b'],
        chosen([
          [0, 'train', 2],
          [1, 'train', 2],
          [1, 'test', 1],
        ]),
      ).warnings,
    ).toEqual([]);
    expect(
      report(
        ['a', 'b'],
        chosen(
          [
            [0, 'train', 2],
            [1, 'test', 2],
          ],
          true,
        ),
      ).warnings,
    ).toEqual([]);
  });
});
