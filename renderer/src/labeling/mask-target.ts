/**
 * The mask the mask tools paint: by default an image's saved labels (the image-labels store, with
 * undo and autosave), or a mask held apart — a model's draft in the Label section, a reviewer's
 * correction in Review — that nothing saves until the person accepts or confirms it. The tools
 * (mask-tools.ts) and the layer that draws and edits (MaskLayer.vue) are the same for all of them.
 */
import { markRaw } from 'vue';
import type { LabelMask } from '../../../contract/geometry/index';
import type { LabelClass } from '../../../contract/index';
import type { LabelHistory } from './history';
import { MaskStroke, redoMaskDiff, undoMaskDiff } from './mask-edits';

export interface BegunStroke {
  stroke: MaskStroke;
  created: boolean;
}

export interface MaskTarget {
  width: number;
  height: number;
  mask: LabelMask | null;
  /** Changes whenever the mask's pixels change (masks are not deeply reactive). */
  version: number;
  /** The classes its values stand for (colours, and which value the active class paints). */
  classes: readonly LabelClass[];
  begin(): BegunStroke;
  end(begun: BegunStroke): void;
}

/** One mask operation (a fill, a polygon, the wand) as one stroke. */
export function applyToMask(target: MaskTarget, operation: (stroke: MaskStroke) => void): void {
  const begun = target.begin();
  operation(begun.stroke);
  target.end(begun);
}

/**
 * A mask held apart from the saved labels: an edit that changes a pixel changes it in place, goes
 * into `history` (when given, for Ctrl+Z) and calls `changed` (the holder bumps its version).
 */
export function heldMaskTarget(
  mask: LabelMask,
  version: number,
  classes: readonly LabelClass[],
  changed: () => void,
  history?: LabelHistory,
): MaskTarget {
  const raw = markRaw(mask);
  return {
    width: raw.width,
    height: raw.height,
    mask: raw,
    version,
    classes,
    begin: () => ({ stroke: new MaskStroke(raw), created: false }),
    end: (begun) => {
      const diff = begun.stroke.finish();
      if (!diff) return;
      history?.push({ kind: 'mask', diff, created: false });
      changed();
    },
  };
}

/** Undoes or redoes the last edit of a held mask; false when there is none. */
export function stepHeldMask(mask: LabelMask, history: LabelHistory, direction: 'undo' | 'redo'): boolean {
  const edit = direction === 'undo' ? history.undo() : history.redo();
  if (edit?.kind !== 'mask') return false;
  if (direction === 'undo') undoMaskDiff(mask, edit.diff);
  else redoMaskDiff(mask, edit.diff);
  return true;
}
