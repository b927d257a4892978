import { describe, expect, it } from 'vitest';
import { SPLITS, type SplitName } from '../../../contract/index';
import { seededRandom } from '../../../contract/random';
import { planSplits, type SplitItem } from './split-plan';

/** 60 patients with 1–6 images each; classes skewed 70/25/5 per patient, some unlabeled. */
function cohort(seed: number): SplitItem[] {
  const random = seededRandom(seed);
  const items: SplitItem[] = [];
  let id = 1;
  for (let p = 0; p < 60; p++) {
    const r = random();
    const cls = r < 0.7 ? 1 : r < 0.95 ? 2 : 3;
    const n = 1 + Math.floor(random() * 6);
    for (let k = 0; k < n; k++)
      items.push({ imageId: id++, groupKey: `patient-${p}`, classes: random() < 0.1 ? [] : [cls] });
  }
  return items;
}

const fractions = { train: 0.7, val: 0.15, test: 0.15 };

describe('planSplits', () => {
  it('never puts one group in two splits, and lands near the fractions per class', () => {
    const items = cohort(1);
    const plan = planSplits(items, { fractions, seed: 3 });
    const splitOfGroup = new Map<string, SplitName>();
    for (const item of items) {
      const split = plan.get(item.imageId)!;
      expect(splitOfGroup.get(item.groupKey) ?? split).toBe(split);
      splitOfGroup.set(item.groupKey, split);
    }
    for (const cls of [1, 2]) {
      const members = items.filter((i) => i.classes.includes(cls));
      for (const split of SPLITS) {
        const share = members.filter((i) => plan.get(i.imageId) === split).length / members.length;
        // Whole patients of up to six images move together, so a class can only get within a group or two of its target.
        expect(Math.abs(share - fractions[split]), `class ${cls} in ${split}`).toBeLessThan(0.1);
      }
    }
  });

  it('is stratified: a rare class appears in every split it can', () => {
    const items: SplitItem[] = Array.from({ length: 100 }, (_, i) => ({
      imageId: i + 1,
      groupKey: `g${i}`,
      classes: [i < 10 ? 9 : 1],
    }));
    const plan = planSplits(items, { fractions, seed: 0 });
    const rare = items.filter((i) => i.classes[0] === 9).map((i) => plan.get(i.imageId));
    expect(rare.filter((s) => s === 'train')).toHaveLength(7);
    expect(rare.filter((s) => s === 'val').length + rare.filter((s) => s === 'test').length).toBe(3);
  });

  it('splits identity classes (each all in one group) by the fractions, not all into train', () => {
    // 100 parts × 5 views, each part its own class (its serial number) and its own group.
    const items: SplitItem[] = Array.from({ length: 500 }, (_, i) => ({
      imageId: i + 1,
      groupKey: `part-${Math.floor(i / 5)}`,
      classes: [Math.floor(i / 5)],
    }));
    const plan = planSplits(items, { fractions, seed: 1 });
    const sizes = Object.fromEntries(
      SPLITS.map((split) => [split, items.filter((i) => plan.get(i.imageId) === split).length]),
    );
    expect(sizes).toEqual({ train: 350, val: 75, test: 75 });
  });

  it('gives the same split for the same seed and a different one for another seed', () => {
    const items = cohort(2);
    const a = planSplits(items, { fractions, seed: 11 });
    expect(planSplits(items, { fractions, seed: 11 })).toEqual(a);
    expect(planSplits(items, { fractions, seed: 12 })).not.toEqual(a);
  });

  it('keeps existing assignments and sends new members of a placed group to that group', () => {
    const items = cohort(3);
    const first = planSplits(items, { fractions, seed: 5 });
    const more = [
      ...items,
      { imageId: 9001, groupKey: items[0]!.groupKey, classes: [1] },
      { imageId: 9002, groupKey: 'new-patient', classes: [2] },
    ];
    const second = planSplits(more, { fractions, seed: 99, existing: first });
    for (const [id, split] of first) expect(second.get(id)).toBe(split);
    expect(second.get(9001)).toBe(first.get(items[0]!.imageId));
    expect(SPLITS).toContain(second.get(9002));
  });

  it('never uses a split whose fraction is 0', () => {
    const plan = planSplits(cohort(4), { fractions: { train: 0.8, val: 0.2, test: 0 }, seed: 1 });
    expect([...plan.values()].includes('test')).toBe(false);
  });
});
