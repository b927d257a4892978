import { defineStore } from 'pinia';
import { ref } from 'vue';
import { MAX_REVIEW_QUEUE, type ReplyOf } from '../../../contract/index';
import { useReviewStore } from './review';

type Queue = ReplyOf<'review.queue'>;

/** A confusion-matrix cell: row (true class) and column (predicted class), indices of the run's classes. */
export interface ConfusionCell {
  trueIndex: number;
  predictedIndex: number;
}

/**
 * The images of a queue that fall in a cell: labelled with exactly the row's class (as labelled
 * now) and predicted as the column's class by the run's model.
 */
export function cellItems(queue: Queue, cell: ConfusionCell): Queue['items'] {
  const classId = queue.classes[cell.trueIndex]?.classId ?? null;
  if (classId === null) return [];
  return queue.items.filter(
    (item) =>
      item.labelClassIds.length === 1 &&
      item.labelClassIds[0] === classId &&
      item.prediction.predicted === cell.predictedIndex,
  );
}

/**
 * Opening a confusion-matrix cell: the run's test images are predicted again (a Review queue), the
 * ones in the cell kept, and the Review section shows them one by one, with verdicts and
 * corrections as for any queue. Predicting again rather than storing every test prediction in
 * run.json keeps the record small, and shows the images as they are labelled now.
 */
export const useConfusionReviewStore = defineStore('confusion-review', () => {
  const opening = ref<ConfusionCell | null>(null);
  const error = ref<string | null>(null);

  /** True once the Review queue holds the cell's images. */
  async function open(runId: string, testImageIds: readonly number[], cell: ConfusionCell): Promise<boolean> {
    if (opening.value || testImageIds.length === 0) return false;
    opening.value = cell;
    error.value = null;
    const review = useReviewStore();
    try {
      await review.hydrate();
      review.runId = runId;
      review.source = { kind: 'images', imageIds: testImageIds.slice(0, MAX_REVIEW_QUEUE) };
      await review.buildQueue();
      const queue = review.queue;
      if (review.error || !queue) {
        error.value = review.error ?? 'The run’s test images could not be predicted.';
        return false;
      }
      const items = cellItems(queue, cell);
      if (items.length === 0) {
        error.value = 'No test image is in this cell as labelled now: labels changed since the run was evaluated.';
        return false;
      }
      // Building the queue again (another order) keeps to the cell's images.
      review.source = { kind: 'images', imageIds: items.map((i) => i.imageId) };
      review.queue = { ...queue, items, leftOut: 0 };
      review.index = 0;
      return true;
    } finally {
      opening.value = null;
    }
  }

  return { opening, error, open };
});
