import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Point } from '../../../contract/geometry/index';
import { nextBrushRadius } from '../labeling/mask-tools';

export type MaskTool = 'brush' | 'eraser' | 'polygon' | 'bucket' | 'wand';

/** Default brush radius in source pixels: visible on a 512² image, small on a 2048² one. */
export const DEFAULT_BRUSH_RADIUS = 8;
/**
 * Default magic-wand tolerance, in the image's modality units (HU on CT, stored values otherwise):
 * 50 HU keeps soft tissue (≈ 20–80 HU) apart from fat and bone; raise it for 16-bit raw data.
 */
export const DEFAULT_WAND_TOLERANCE = 50;
/** Overlay opacity: enough colour to see a mask, enough image to see its edge. */
export const DEFAULT_OVERLAY_OPACITY = 0.45;

/** A box or a draft (prediction) selected in the box layer. */
export interface BoxSelection {
  kind: 'box' | 'draft';
  index: number;
  /** A draft whose handles are shown ("Adjust"): it can be moved and resized before accepting. */
  adjusting?: boolean;
}

/**
 * The annotation tools' state, shared by the toolbar, the layers and the keyboard: the tool, the
 * class being drawn, brush size, overlay visibility/opacity and hidden classes, the magic wand's
 * tolerance, the polygon being drawn, and the selected box.
 */
export const useAnnotateStore = defineStore('annotate', () => {
  const tool = ref<MaskTool>('brush');
  const brushRadius = ref(DEFAULT_BRUSH_RADIUS);
  const activeClassId = ref<number | null>(null);
  const overlayVisible = ref(true);
  const opacity = ref(DEFAULT_OVERLAY_OPACITY);
  const hidden = shallowRef<Set<number>>(new Set());
  const wandTolerance = ref(DEFAULT_WAND_TOLERANCE);
  /** Eraser removes only the active class (other classes under it stay). */
  const eraseOnlyActive = ref(false);
  const polygon = ref<Point[]>([]);
  const selectedBox = ref<BoxSelection | null>(null);
  /** A short hint after a key or click that could not act ("Pick a class first"). */
  const notice = ref<string | null>(null);

  function setTool(next: MaskTool): void {
    tool.value = next;
    if (next !== 'polygon') polygon.value = [];
  }

  function stepBrush(direction: 1 | -1): void {
    brushRadius.value = nextBrushRadius(brushRadius.value, direction);
  }

  function toggleHidden(classId: number): void {
    const next = new Set(hidden.value);
    if (next.has(classId)) next.delete(classId);
    else next.add(classId);
    hidden.value = next;
  }

  /** Switching image or task: a half-drawn polygon and a selection belong to the old one. */
  function resetForImage(): void {
    polygon.value = [];
    selectedBox.value = null;
    notice.value = null;
  }

  return {
    tool,
    brushRadius,
    activeClassId,
    overlayVisible,
    opacity,
    hidden,
    wandTolerance,
    eraseOnlyActive,
    polygon,
    selectedBox,
    notice,
    setTool,
    stepBrush,
    toggleHidden,
    resetForImage,
  };
});
