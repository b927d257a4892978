import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ReplyOf, SplitSource } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

type Scored = ReplyOf<'training.evaluate'>;

/**
 * A run's model scored again on its task's test split as labelled now: by default the test split
 * the run trained with, or the task's current one without the images the run trained on (the
 * reply says how many were left out, and warns of images sharing a patient or group with them).
 */
export const useRescoreStore = defineStore('rescore', () => {
  const result = ref<Scored | null>(null);
  const progress = ref<{ done: number; total: number } | null>(null);
  const error = ref<string | null>(null);
  let requestId: string | null = null;

  async function score(runId: string, splitSource: SplitSource): Promise<void> {
    if (requestId) return;
    requestId = crypto.randomUUID();
    error.value = null;
    progress.value = { done: 0, total: 0 };
    try {
      result.value = await loupe().invoke(
        'training.evaluate',
        { runId, split: 'test', splitSource },
        { requestId, onProgress: (p) => (progress.value = p) },
      );
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      progress.value = null;
      requestId = null;
    }
  }

  function cancel(): void {
    if (requestId) loupe().cancel(requestId);
  }

  /** Another run is shown: its scores are not this one's. */
  function clear(): void {
    cancel();
    result.value = null;
    error.value = null;
  }

  return { result, progress, error, score, cancel, clear };
});
