/** Box edits the detection keys and the box toolbar share: copy the previous image's boxes, nudge or delete the selected box or draft. */
import type { Ref } from 'vue';
import { deleteBoxAt, nudgeBoxAt } from '../../labeling/box-edits';
import type { LabelingAction } from '../../labeling/shortcuts';
import { messageOf } from '../../client/index';
import { useAnnotateStore } from '../../stores/annotate';
import { useDraftBoxesStore } from '../../stores/draft-boxes';
import { useImageLabelsStore, type ImageEntry } from '../../stores/image-labels';
import { useLabelGridStore } from '../../stores/label-grid';

export type SelectedBoxAction = Extract<LabelingAction, { action: 'nudge' | 'delete-box' }>;

export function useBoxEdits(taskId: () => number, imageId: Ref<number | null>, entry: Ref<ImageEntry | null>) {
  const labels = useImageLabelsStore();
  const grid = useLabelGridStore();
  const annotate = useAnnotateStore();
  const drafts = useDraftBoxesStore();

  function previousImageId(): number | null {
    const index = grid.shownIds.indexOf(imageId.value ?? -1);
    return index > 0 ? grid.shownIds[index - 1]! : null;
  }

  function copyPrevious(): void {
    const previous = previousImageId();
    if (previous === null || imageId.value === null) {
      annotate.notice = 'There is no previous image to copy boxes from.';
      return;
    }
    void labels
      .copyPreviousBoxes(taskId(), imageId.value, previous)
      .catch((e: unknown) => (annotate.notice = messageOf(e)));
  }

  /** Applies a box action to the selected box, or to the selected draft. */
  function onSelectedBox(action: SelectedBoxAction): void {
    const selected = annotate.selectedBox;
    const id = imageId.value;
    if (!selected || id === null || !entry.value) return;
    const size = { width: entry.value.width, height: entry.value.height };
    if (selected.kind === 'draft') {
      if (action.action === 'delete-box') {
        drafts.deleteDraft(taskId(), id, selected.index);
        annotate.selectedBox = null;
      } else {
        const draft = drafts.draftsOf(taskId(), id)[selected.index];
        if (draft)
          drafts.updateDraft(
            taskId(),
            id,
            selected.index,
            nudgeBoxAt([draft], 0, action.direction, action.large, size)[0]!,
          );
      }
      return;
    }
    if (action.action === 'delete-box') {
      labels.setBoxes(taskId(), id, deleteBoxAt(entry.value.boxes, selected.index));
      annotate.selectedBox = null;
    } else
      labels.setBoxes(
        taskId(),
        id,
        nudgeBoxAt(entry.value.boxes, selected.index, action.direction, action.large, size),
      );
  }

  return { previousImageId, copyPrevious, onSelectedBox };
}
