import { defineStore } from 'pinia';
import { ref } from 'vue';
import { MAX_REVIEW_QUEUE, type ImportProgress } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useBatchStore, type BatchPick } from './batch';
import { useReviewStore } from './review';

/** What the Batch section sends to Review: workspace images, and files the workspace does not hold yet. */
export interface ReviewPicks {
  imageIds: readonly number[];
  outside: readonly string[];
}

/** Ticked rows as Review takes them: workspace images, and files to import first. */
export function picksOf(selected: readonly BatchPick[]): ReviewPicks {
  return {
    imageIds: selected.flatMap((p) => (p.imageId === null ? [] : [p.imageId])),
    outside: selected.flatMap((p) => (p.imageId === null ? [p.path] : [])),
  };
}

/**
 * Sending a batch's results to the Review section, as a queue of the batch's run: files the
 * workspace does not hold are imported first (Review records verdicts on workspace images), with
 * progress, then the queue is built of every picked image, at most MAX_REVIEW_QUEUE.
 */
export const useBatchReviewStore = defineStore('batchReview', () => {
  const importing = ref<ImportProgress | null>(null);
  const error = ref<string | null>(null);

  /** True once the Review queue is built. */
  async function send(picks: ReviewPicks): Promise<boolean> {
    const batch = useBatchStore();
    const run = batch.reviewRun;
    error.value = null;
    if (!run) return false;
    const ids = new Set(picks.imageIds);
    const outside = [...new Set(picks.outside)].slice(0, Math.max(0, MAX_REVIEW_QUEUE - ids.size));
    if (outside.length > 0) {
      try {
        const report = await loupe().invoke(
          'imaging.import',
          { paths: outside },
          { onProgress: (p) => (importing.value = p) },
        );
        const failed = report.files.filter((f) => f.imageId === undefined);
        for (const f of report.files) if (f.imageId !== undefined) ids.add(f.imageId);
        if (failed.length > 0)
          error.value = `${failed.length} of the files could not be imported, so they are not in the queue: ${failed[0]!.path}: ${failed[0]!.message ?? failed[0]!.status}.`;
      } catch (e) {
        error.value = messageOf(e);
        return false;
      } finally {
        importing.value = null;
        // The imported files are workspace images now: the table's rows say so.
        void batch.loadResults();
      }
    }
    if (ids.size === 0) return false;
    const review = useReviewStore();
    await review.hydrate();
    review.runId = run;
    review.source = { kind: 'images', imageIds: [...ids].slice(0, MAX_REVIEW_QUEUE) };
    await review.buildQueue();
    if (review.error) error.value = review.error;
    return review.queue !== null && !review.error;
  }

  return { importing, error, send };
});
