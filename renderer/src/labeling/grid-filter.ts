/**
 * What the labeling grid shows and how the keyboard moves through it: the filter (all, unlabeled,
 * labeled, one class, one split), multi-select with Ctrl and Shift as in every file browser, and
 * next/previous that still work when the current image has just left the filter (labeling an
 * image in the "unlabeled" view removes it from the list; → must go on from where it was).
 */
import type { SplitName } from '../../../contract/index';

/** What a tile shows about an image's labels. */
export interface ImageBadge {
  classIds: readonly number[];
  boxes: number;
  labeled: boolean;
  split: SplitName | null;
}

export type GridFilter =
  | { kind: 'all' }
  | { kind: 'unlabeled' }
  | { kind: 'labeled' }
  | { kind: 'class'; classId: number }
  | { kind: 'split'; split: SplitName | null };

export function matchesFilter(badge: ImageBadge, filter: GridFilter): boolean {
  switch (filter.kind) {
    case 'all':
      return true;
    case 'unlabeled':
      return !badge.labeled;
    case 'labeled':
      return badge.labeled;
    case 'class':
      return badge.classIds.includes(filter.classId);
    case 'split':
      return badge.split === filter.split;
  }
}

/** Filters as one string for a <select>, and back. */
export function filterKey(filter: GridFilter): string {
  if (filter.kind === 'class') return `class:${filter.classId}`;
  if (filter.kind === 'split') return `split:${filter.split ?? 'none'}`;
  return filter.kind;
}

export function parseFilterKey(key: string): GridFilter {
  const [kind, value] = key.split(':');
  if (kind === 'class') return { kind: 'class', classId: Number(value) };
  if (kind === 'split') return { kind: 'split', split: value === 'none' ? null : (value as SplitName) };
  if (kind === 'unlabeled' || kind === 'labeled') return { kind };
  return { kind: 'all' };
}

/**
 * The image after (step 1) or before (step -1) `current` among those the filter shows, by the
 * workspace order; `current` need not be shown itself. Null at the end of the list.
 */
export function neighbour(
  order: readonly number[],
  shown: (id: number) => boolean,
  current: number | null,
  step: 1 | -1,
): number | null {
  let index = current === null ? (step === 1 ? -1 : order.length) : order.indexOf(current);
  if (index < 0) index = step === 1 ? -1 : order.length;
  for (let i = index + step; i >= 0 && i < order.length; i += step) if (shown(order[i]!)) return order[i]!;
  return null;
}

export interface SelectionClick {
  ctrl: boolean;
  shift: boolean;
}

/**
 * The selection after a click on `id` in the shown list: plain selects one, Ctrl toggles one,
 * Shift selects the range from the anchor (the last plain or Ctrl click).
 */
export function clickSelection(
  shown: readonly number[],
  selected: ReadonlySet<number>,
  anchor: number | null,
  id: number,
  click: SelectionClick,
): { selected: Set<number>; anchor: number } {
  if (click.shift && anchor !== null) {
    const a = shown.indexOf(anchor);
    const b = shown.indexOf(id);
    if (a >= 0 && b >= 0) {
      const range = shown.slice(Math.min(a, b), Math.max(a, b) + 1);
      return { selected: new Set(click.ctrl ? [...selected, ...range] : range), anchor };
    }
  }
  if (click.ctrl) {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return { selected: next, anchor: id };
  }
  return { selected: new Set([id]), anchor: id };
}
