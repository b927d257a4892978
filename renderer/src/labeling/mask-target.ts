/**
 * The mask the mask tools paint: by default an image's saved labels (the image-labels store, with
 * undo and autosave), or a mask held apart — a model's draft in the Label section, a reviewer's
 * correction in Review — that nothing saves until the person accepts or confirms it. The tools
 * (mask-tools.ts) and the layer that draws and edits (MaskLayer.vue) are the same for all of them.
 */
import { markRaw } from 'vue';
import type { LabelMask } from '../../../contract/geometry/index';
import type { LabelClass } from '../../../contract/index';
import { MaskStroke } from './mask-edits';

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
 * A mask held apart from the saved labels: edits change it in place and call `changed` (the
 * holder bumps its version), and report whether any pixel changed.
 */
export function heldMaskTarget(
  mask: LabelMask,
  version: number,
  classes: readonly LabelClass[],
  changed: () => void,
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
      if (begun.stroke.finish()) changed();
    },
  };
}
