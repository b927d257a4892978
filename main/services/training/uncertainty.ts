/**
 * How useful labelling an image would be, from a model's class probabilities: entropy (nats) and
 * margin (top probability minus the second), and a greedy k-center spread of picks (over the
 * model's embeddings) so a list of images to label next does not show twenty near-copies of the
 * same confusing case.
 */

/** Entropy in nats, −Σ p·ln p (0·ln 0 taken as 0). */
export function entropy(probabilities: readonly number[]): number {
  let total = 0;
  for (const p of probabilities) if (p > 0) total -= p * Math.log(p);
  return total;
}

/** Top probability minus the second (1 with a single class): small when the model is split. */
export function margin(probabilities: readonly number[]): number {
  let first = -Infinity;
  let second = -Infinity;
  for (const p of probabilities) {
    if (p > first) [first, second] = [p, first];
    else if (p > second) second = p;
  }
  return second === -Infinity ? 1 : first - second;
}

/** Indices of `scores` from most to least uncertain (higher score first; ties keep input order). */
export function byScore(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

export interface CenterPick {
  index: number;
  /** Euclidean distance to the nearest earlier pick; null for the first. */
  distance: number | null;
  /** That nearest earlier pick (an index into `features`); null for the first. */
  nearest: number | null;
}

/**
 * Greedy k-center (farthest-point) over `features`, started from `order[0]`: each next pick is the
 * point farthest from every earlier pick; a tie goes to the point earlier in `order` (the more
 * uncertain one), so the result is deterministic.
 */
export function kCenter(features: readonly ArrayLike<number>[], order: readonly number[], k: number): CenterPick[] {
  const count = Math.min(k, order.length);
  if (count === 0) return [];
  // For each point not yet picked: its distance to the nearest pick so far, and that pick.
  const nearest = new Map(order.map((i) => [i, { distance: Infinity, pick: -1 }]));
  const picks: CenterPick[] = [];
  let next: CenterPick = { index: order[0]!, distance: null, nearest: null };
  while (picks.length < count) {
    picks.push(next);
    const picked = next.index;
    nearest.delete(picked);
    let best: CenterPick | null = null;
    for (const i of order) {
      const entry = nearest.get(i);
      if (!entry) continue;
      const d = distance(features[i]!, features[picked]!);
      // Strictly nearer only: on a tie the earlier pick stays the one named.
      if (d < entry.distance) [entry.distance, entry.pick] = [d, picked];
      if (!best || entry.distance > best.distance!) best = { index: i, distance: entry.distance, nearest: entry.pick };
    }
    if (!best) break;
    next = best;
  }
  return picks;
}
