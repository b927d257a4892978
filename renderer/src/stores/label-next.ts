import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { ReplyOf, UncertaintyMeasure } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useWorkspaceStore } from './workspace';

/** Images "Label next" lists unless the user asks for more. */
export const DEFAULT_LABEL_NEXT = 20;

/**
 * "Label next": the task's unlabeled images ordered by the chosen run's uncertainty (entropy or
 * margin; segmentation: mean pixel entropy), optionally spread over the model's embeddings, each
 * with the reason it was picked. The engine predicts every unlabeled image, so a large workspace
 * shows progress and can be cancelled.
 */
export const useLabelNextStore = defineStore('labelNext', () => {
  const measure = ref<UncertaintyMeasure>('entropy');
  const diversity = ref(false);
  const limit = ref(DEFAULT_LABEL_NEXT);
  const result = ref<(ReplyOf<'models.labelNext'> & { taskId: number }) | null>(null);
  const busy = ref(false);
  const progress = ref<{ done: number; total: number } | null>(null);
  const error = ref<string | null>(null);
  let requestId: string | null = null;

  async function rank(taskId: number, runId: string): Promise<boolean> {
    if (busy.value) return false;
    busy.value = true;
    error.value = null;
    requestId = crypto.randomUUID();
    try {
      const reply = await loupe().invoke(
        'models.labelNext',
        { runId, taskId, measure: measure.value, diversity: diversity.value, limit: limit.value },
        { requestId, onProgress: (p) => (progress.value = p) },
      );
      result.value = { ...reply, taskId };
      return true;
    } catch (e) {
      error.value = messageOf(e);
      return false;
    } finally {
      busy.value = false;
      progress.value = null;
      requestId = null;
    }
  }

  function cancel(): void {
    if (requestId) loupe().cancel(requestId);
  }

  /** A labelled image leaves the list (it is no longer a candidate). */
  function drop(imageId: number): void {
    if (result.value)
      result.value = { ...result.value, picks: result.value.picks.filter((p) => p.imageId !== imageId) };
  }

  function reset(): void {
    result.value = null;
    error.value = null;
  }

  watch(
    () => useWorkspaceStore().current?.path,
    () => reset(),
  );

  return { measure, diversity, limit, result, busy, progress, error, rank, cancel, drop, reset };
});
