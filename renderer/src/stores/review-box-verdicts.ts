import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BoxLabel, BoxPairVerdict, LabelTask, ReviewVerdictKind } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useReviewBoxesPairsStore } from './review-boxes-pairs';

/** The key of an image (detection) or a pair (verification, smaller id first, as the trail keeps it). */
export function itemKey(imageA: number, imageB: number | null = null): string {
  if (imageB === null) return String(imageA);
  return imageA < imageB ? `${imageA}/${imageB}` : `${imageB}/${imageA}`;
}

/**
 * Verdicts on a detection or verification run's items (the images or pairs of
 * review-boxes-pairs.ts): agree / disagree / unsure with a comment; a "disagree" on an image opens
 * a correction of its boxes (the model's boxes, edited with the Label section's box layer), one on
 * a pair asks for the right answer; then the correction waits for the reviewer to confirm it
 * before it becomes the task's label. The latest verdict per item is shown in the list.
 */
export const useReviewBoxVerdictsStore = defineStore('reviewBoxVerdicts', () => {
  const items = useReviewBoxesPairsStore();
  const task = shallowRef<LabelTask | null>(null);
  /** The latest verdict per item of the run (itemKey). */
  const latest = shallowRef<Map<string, BoxPairVerdict>>(new Map());
  const comment = ref('');
  /** Detection "disagree": the boxes being corrected; null when not correcting. */
  const correcting = ref<BoxLabel[] | null>(null);
  /** Verification "disagree": asking for the right answer. */
  const pickingAnswer = ref(false);
  /** A recorded correction the reviewer is asked to write as a label. */
  const confirming = shallowRef<BoxPairVerdict | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);

  const currentKey = computed(() => {
    const list = items.items;
    if (!list) return null;
    if (list.kind === 'detection') {
      const image = list.images[items.index];
      return image ? itemKey(image.imageId) : null;
    }
    const pair = list.pairs[items.index];
    return pair ? itemKey(pair.imageA, pair.imageB) : null;
  });
  const current = computed(() => (currentKey.value ? (latest.value.get(currentKey.value) ?? null) : null));

  function remember(v: BoxPairVerdict): void {
    const second = v.prediction.kind === 'verification' ? v.prediction.imageB : null;
    latest.value = new Map(latest.value).set(itemKey(v.imageId, second), v);
  }

  function reset(): void {
    correcting.value = null;
    pickingAnswer.value = false;
    confirming.value = null;
    comment.value = '';
  }

  /** The run's task and the verdicts already given on it. */
  async function load(): Promise<void> {
    reset();
    latest.value = new Map();
    task.value = null;
    const runId = items.runId;
    const taskId = items.reviewable.find((r) => r.runId === runId)?.taskId ?? null;
    if (!runId || taskId === null) return;
    try {
      const [{ tasks }, { verdicts }] = await Promise.all([
        loupe().invoke('labels.tasks', {}),
        loupe().invoke('reviewBoxes.verdicts', { runId }),
      ]);
      if (runId !== items.runId) return;
      task.value = tasks.find((t) => t.id === taskId) ?? null;
      for (const v of verdicts) remember(v);
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  async function record(verdict: ReviewVerdictKind, correction?: BoxLabel[] | boolean): Promise<void> {
    const list = items.items;
    if (!list || busy.value) return;
    busy.value = true;
    error.value = null;
    const common = { runId: list.runId, verdict, comment: comment.value, method: items.method };
    try {
      let recorded: BoxPairVerdict;
      if (list.kind === 'detection') {
        const { imageId } = list.images[items.index]!;
        const correctBoxes = Array.isArray(correction) ? correction : undefined;
        recorded = await loupe().invoke('reviewBoxes.recordBoxes', { ...common, imageId, correctBoxes });
      } else {
        const { imageA, imageB } = list.pairs[items.index]!;
        const correctSame = typeof correction === 'boolean' ? correction : undefined;
        recorded = await loupe().invoke('reviewBoxes.recordPair', { ...common, imageA, imageB, correctSame });
      }
      remember(recorded);
      reset();
      // A correction waits for the reviewer's word before it becomes a label; anything else moves on.
      if (recorded.correction) confirming.value = recorded;
      else await items.show(items.index + 1);
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      busy.value = false;
    }
  }

  /** D on an image: start from the model's boxes (after its threshold and NMS) as the task's classes. */
  async function startCorrection(): Promise<void> {
    const list = items.items;
    if (!list || !task.value || busy.value) return;
    if (list.kind === 'verification') {
      pickingAnswer.value = true;
      return;
    }
    const { imageId } = list.images[items.index]!;
    busy.value = true;
    try {
      const proposed = await loupe().invoke('models.proposeBoxes', {
        runId: list.runId,
        taskId: task.value.id,
        imageId,
      });
      correcting.value = proposed.boxes.map(({ classId, x1, y1, x2, y2 }) => ({ classId, x1, y1, x2, y2 }));
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      busy.value = false;
    }
  }

  function deleteBox(index: number): void {
    if (correcting.value) correcting.value = correcting.value.filter((_, i) => i !== index);
  }

  async function confirmCorrection(): Promise<void> {
    const verdict = confirming.value;
    if (!verdict || busy.value) return;
    busy.value = true;
    try {
      await loupe().invoke('reviewBoxes.applyCorrection', { verdictId: verdict.id });
      // The verdict now says its label was written.
      const list = await loupe().invoke('reviewBoxes.verdicts', { runId: verdict.runId });
      for (const v of list.verdicts) remember(v);
      confirming.value = null;
      await items.show(items.index + 1);
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      busy.value = false;
    }
  }

  async function declineCorrection(): Promise<void> {
    confirming.value = null;
    await items.show(items.index + 1);
  }

  return {
    task,
    latest,
    comment,
    correcting,
    pickingAnswer,
    confirming,
    busy,
    error,
    current,
    load,
    reset,
    record,
    startCorrection,
    deleteBox,
    confirmCorrection,
    declineCorrection,
  };
});
