/**
 * The keys every Review view shares, in one place so classification, detection and verification
 * verdicts answer to the same keys: A agree, D disagree, U unsure, C comment, H heatmap, →/J next,
 * ←/K previous; and, while a correction waits to become a label, Y/Enter write it, N/Esc not now.
 */

export interface VerdictKeyActions {
  agree(): void;
  disagree(): void;
  unsure(): void;
  comment(): void;
  toggleHeatmap(): void;
  next(): void;
  previous(): void;
  /** Keys a view adds (T: trust, in the classification view). */
  more?: Record<string, () => void>;
}

/** Runs the action of a verdict key; false when `key` is none of them. */
export function verdictKey(key: string, actions: VerdictKeyActions): boolean {
  const action: Record<string, (() => void) | undefined> = {
    a: actions.agree,
    d: actions.disagree,
    u: actions.unsure,
    c: actions.comment,
    h: actions.toggleHeatmap,
    ArrowRight: actions.next,
    j: actions.next,
    ArrowLeft: actions.previous,
    k: actions.previous,
    ...actions.more,
  };
  const run = action[key];
  if (!run) return false;
  run();
  return true;
}

/** The keys of the confirm step (a correction about to become a label); false when `key` is neither. */
export function confirmKey(key: string, yes: () => void, no: () => void): boolean {
  if (key === 'y' || key === 'Enter') yes();
  else if (key === 'n' || key === 'Escape') no();
  else return false;
  return true;
}
