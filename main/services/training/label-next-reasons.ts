/** Why "Label next" picked an image, in the words its list shows. */

/** A top probability at or above this reads as the model leaning, not split. */
const SPLIT_BELOW = 0.7;

const pct = (p: number): string => `${Math.round(p * 100)}%`;

export function classificationReason(
  measure: 'entropy' | 'margin',
  h: number,
  m: number,
  sorted: readonly { classId: number; probability: number }[],
  names: Map<number, string>,
): string {
  const [first, second] = sorted;
  const value = measure === 'entropy' ? `entropy ${h.toFixed(2)}` : `margin ${m.toFixed(2)}`;
  if (!first) return value;
  const a = `${names.get(first.classId) ?? first.classId} (${pct(first.probability)})`;
  if (!second) return `${value} — the model says ${a}`;
  const b = `${names.get(second.classId) ?? second.classId} (${pct(second.probability)})`;
  return first.probability < SPLIT_BELOW
    ? `${value} — the model is split between ${a} and ${b}`
    : `${value} — the model leans to ${a} over ${b}`;
}

export function segmentationReason(
  h: number,
  top: readonly { classId: number; probability: number }[],
  names: Map<number, string>,
): string {
  const classes = top.filter((t) => t.probability > 0);
  const found = classes.length
    ? `it marks ${classes.map((t) => `${names.get(t.classId) ?? t.classId} on ${pct(t.probability)}`).join(', ')} of the image`
    : 'it marks no class';
  return `mean pixel entropy ${h.toFixed(2)} — the model is unsure of the mask; ${found}`;
}

/** A spread pick: how far its embedding lies from the nearest earlier pick's, and which image that is. */
export function withSpread(reason: string, distance: number, nearestName: string): string {
  return `${reason}; embedding ${distance.toFixed(2)} from the nearest earlier pick, ${nearestName}`;
}
