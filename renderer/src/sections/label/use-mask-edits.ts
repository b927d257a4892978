/**
 * Where the workbench's mask edits go: to the draft of "Pre-label with a run" while the image has
 * one (drafts are predicted on frame 0, so only there), else to the shown frame's saved mask.
 */
import { computed, type Ref } from 'vue';
import type { LabelTask } from '../../../../contract/index';
import { fillHoles } from '../../labeling/mask-tools';
import { applyToMask } from '../../labeling/mask-target';
import { useAnnotateStore } from '../../stores/annotate';
import { useImageLabelsStore, type ImageEntry } from '../../stores/image-labels';
import { usePrelabelStore } from '../../stores/prelabel';

export function useMaskEdits(task: () => LabelTask, imageId: Ref<number | null>, entry: Ref<ImageEntry | null>) {
  const labels = useImageLabelsStore();
  const annotate = useAnnotateStore();
  const prelabel = usePrelabelStore();

  /** The draft the mask tools paint (saved only when accepted), or null to paint the saved mask. */
  const draftTarget = computed(() =>
    imageId.value === null || entry.value?.frame !== 0
      ? null
      : prelabel.draftTarget(task().id, imageId.value, task().classes),
  );

  /** Fills the holes of the active class's regions, as one undo step. */
  function fillHolesOfActive(): void {
    const value = task().classes.find((c) => c.id === annotate.activeClassId)?.maskIndex;
    if (!value || imageId.value === null) return;
    if (draftTarget.value) return applyToMask(draftTarget.value, (s) => fillHoles(s, value));
    if (!entry.value?.mask) return;
    labels.applyMask(task().id, imageId.value, (s) => fillHoles(s, value), entry.value.frame);
  }

  return { draftTarget, fillHolesOfActive };
}
