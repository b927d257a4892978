/**
 * Stratified, grouped train/val/test assignment (pure; splits.ts reads and writes the database).
 *
 * Groups (a patient, a part) are placed whole, biggest first, each into the split whose class
 * counts it brings closest to the target fractions — the greedy used by scikit-learn's
 * StratifiedGroupKFold, with unequal fractions. The cost of a state is
 *   Σ_class Σ_split (count − fraction·total)² / total  +  Σ_split (images − fraction·N)² / N,
 * so every class, and the overall size, is pulled toward its fraction. Ties and the order of
 * equal-sized groups come from the seed, so the same seed gives the same split.
 */
import { SPLITS, type SplitFractions, type SplitName } from '../../../contract/index';
import { seededRandom, shuffle } from '../../../contract/random';

export interface SplitItem {
  imageId: number;
  groupKey: string;
  /** Classes the image carries (empty: unlabeled, stratified as a class of its own). */
  classes: readonly number[];
}

export interface SplitPlanArgs {
  fractions: SplitFractions;
  seed: number;
  /** Assignments to keep (a locked split): their groups stay put and new members follow them. */
  existing?: ReadonlyMap<number, SplitName>;
}

const UNLABELED = -1;

export function planSplits(items: readonly SplitItem[], args: SplitPlanArgs): Map<number, SplitName> {
  const out = new Map<number, SplitName>();
  const groups = new Map<string, SplitItem[]>();
  for (const item of items) {
    const list = groups.get(item.groupKey);
    if (list) list.push(item);
    else groups.set(item.groupKey, [item]);
  }
  const labelsOf = (item: SplitItem): readonly number[] => (item.classes.length ? item.classes : [UNLABELED]);
  const totals = new Map<number, number>();
  for (const item of items) for (const c of labelsOf(item)) totals.set(c, (totals.get(c) ?? 0) + 1);
  const counts = new Map<SplitName, Map<number, number>>(SPLITS.map((s) => [s, new Map()]));
  const sizes = new Map<SplitName, number>(SPLITS.map((s) => [s, 0]));
  const place = (group: readonly SplitItem[], split: SplitName): void => {
    const table = counts.get(split)!;
    for (const item of group) {
      out.set(item.imageId, split);
      for (const c of labelsOf(item)) table.set(c, (table.get(c) ?? 0) + 1);
    }
    sizes.set(split, sizes.get(split)! + group.length);
  };

  const pending: SplitItem[][] = [];
  for (const group of groups.values()) {
    const kept = group.filter((item) => args.existing?.has(item.imageId));
    if (kept.length === 0) {
      pending.push(group);
      continue;
    }
    // A group already placed stays where most of it is; its new members join it.
    const votes = new Map<SplitName, number>();
    for (const item of kept)
      votes.set(args.existing!.get(item.imageId)!, (votes.get(args.existing!.get(item.imageId)!) ?? 0) + 1);
    const home = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    for (const item of kept) place([item], args.existing!.get(item.imageId)!);
    place(
      group.filter((item) => !args.existing?.has(item.imageId)),
      home,
    );
  }

  const random = seededRandom(args.seed);
  shuffle(pending, random).sort((a, b) => b.length - a.length);
  const n = items.length;
  const open = SPLITS.filter((s) => args.fractions[s] > 0);
  for (const group of pending) {
    const groupCounts = new Map<number, number>();
    for (const item of group) for (const c of labelsOf(item)) groupCounts.set(c, (groupCounts.get(c) ?? 0) + 1);
    let best: SplitName = open[0]!;
    let bestDelta = Infinity;
    for (const split of open) {
      const f = args.fractions[split];
      const table = counts.get(split)!;
      let delta = 0;
      for (const [c, g] of groupCounts) {
        const total = totals.get(c)!;
        // A class that is all in this group (a part's serial, a patient's lesion as identities)
        // goes wherever the group goes; stratifying on it would only pull every such group into
        // the largest split. The overall size decides for it.
        if (g === total) continue;
        const now = (table.get(c) ?? 0) - f * total;
        delta += ((now + g) ** 2 - now ** 2) / total;
      }
      const size = sizes.get(split)! - f * n;
      delta += ((size + group.length) ** 2 - size ** 2) / n;
      // Equal costs are broken by the seed rather than by the order of SPLITS.
      if (delta < bestDelta - 1e-12 || (Math.abs(delta - bestDelta) <= 1e-12 && random() < 0.5)) {
        best = split;
        bestDelta = delta;
      }
    }
    place(group, best);
  }
  return out;
}
