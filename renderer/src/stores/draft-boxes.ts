import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { boxProblem, type Box } from '../../../contract/geometry/index';
import type { BoxLabel } from '../../../contract/index';
import { useWorkspaceStore } from './workspace';
import { entryKey, useImageLabelsStore } from './image-labels';

/** A proposed box (a detector's prediction): shown dashed, saved only when someone accepts it. */
export interface DraftBox extends BoxLabel {
  /** The detector's confidence, 0–1, shown beside the draft. */
  score?: number;
}

/**
 * Draft boxes per image and task. Predictions arrive through `setDraftBoxes` (the detection
 * integration calls it); a person accepts each (it becomes a real box through the normal edit,
 * undo and autosave path), adjusts it first (drag its handles), or deletes it. Drafts are never
 * saved themselves: they are proposals, and a reload shows only what was accepted.
 */
export const useDraftBoxesStore = defineStore('draftBoxes', () => {
  const drafts = ref(new Map<string, DraftBox[]>());
  const labels = useImageLabelsStore();
  // Drafts name task and image ids of the workspace they were made for.
  watch(
    () => useWorkspaceStore().current?.path,
    () => clear(),
  );

  /** Replaces an image's drafts (an empty list removes them). */
  function setDraftBoxes(taskId: number, imageId: number, boxes: readonly DraftBox[]): void {
    const key = entryKey(taskId, imageId);
    if (boxes.length === 0) drafts.value.delete(key);
    else
      drafts.value.set(
        key,
        boxes.map((b) => ({ ...b })),
      );
  }

  function draftsOf(taskId: number, imageId: number): readonly DraftBox[] {
    return drafts.value.get(entryKey(taskId, imageId)) ?? [];
  }

  function updateDraft(taskId: number, imageId: number, index: number, box: Box): void {
    const list = drafts.value.get(entryKey(taskId, imageId));
    const draft = list?.[index];
    if (list && draft) list[index] = { ...draft, ...box };
  }

  function setDraftClass(taskId: number, imageId: number, index: number, classId: number): void {
    const list = drafts.value.get(entryKey(taskId, imageId));
    const draft = list?.[index];
    if (list && draft) list[index] = { ...draft, classId };
  }

  function deleteDraft(taskId: number, imageId: number, index: number): void {
    const list = drafts.value.get(entryKey(taskId, imageId));
    if (!list) return;
    list.splice(index, 1);
    if (list.length === 0) drafts.value.delete(entryKey(taskId, imageId));
  }

  /**
   * Accepts drafts (all when `indices` is omitted) as real boxes, in one undoable edit. A draft is
   * clipped to the image first; one with no area left is dropped. Returns how many became boxes.
   */
  async function acceptDrafts(taskId: number, imageId: number, indices?: readonly number[]): Promise<number> {
    const list = drafts.value.get(entryKey(taskId, imageId)) ?? [];
    const chosen = indices ?? list.map((_, i) => i);
    const entry = await labels.load(taskId, 'detection', imageId);
    const accepted: BoxLabel[] = [];
    for (const index of chosen) {
      const d = list[index];
      if (!d) continue;
      const box = {
        classId: d.classId,
        x1: Math.max(0, d.x1),
        y1: Math.max(0, d.y1),
        x2: Math.min(entry.width, d.x2),
        y2: Math.min(entry.height, d.y2),
      };
      if (!boxProblem(box, entry.width, entry.height)) accepted.push(box);
    }
    labels.setBoxes(taskId, imageId, [...entry.boxes, ...accepted]);
    const left = list.filter((_, i) => !chosen.includes(i));
    setDraftBoxes(taskId, imageId, left);
    return accepted.length;
  }

  function clear(): void {
    drafts.value = new Map();
  }

  return { drafts, setDraftBoxes, draftsOf, updateDraft, setDraftClass, deleteDraft, acceptDrafts, clear };
});
