import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { ReplyOf, TrustMeasures } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useMaskReviewStore } from './mask-review';

type Shown = ReplyOf<'reviewMasks.image'>;

/** Which heatmap a trust measure belongs to: the run, image, class and method it was made for. */
const keyOf = (s: Shown): string | null =>
  s.heatmap ? `${s.runId}\0${s.imageId}\0${s.classIndex}\0${s.heatmap.method}` : null;

/**
 * The trust measures (deletion/insertion AUC, the randomisation check) of the segmentation Review's
 * heatmap, asked for (T), not fetched with every image: they cost many passes of the model. A
 * measure is kept for its heatmap and shown again when that heatmap is.
 */
export const useMaskTrustStore = defineStore('maskTrust', () => {
  const review = useMaskReviewStore();
  const trust = shallowRef<TrustMeasures | null>(null);
  const measuring = ref(false);
  const error = ref<string | null>(null);
  const measured = new Map<string, TrustMeasures>();
  let shownKey: string | null = null;

  watch(
    () => review.shown,
    (shown) => {
      shownKey = shown ? keyOf(shown) : null;
      trust.value = shownKey ? (measured.get(shownKey) ?? null) : null;
      error.value = null;
    },
    { immediate: true },
  );

  async function measure(): Promise<void> {
    const shown = review.shown;
    const key = shown ? keyOf(shown) : null;
    if (!shown?.heatmap || !key || measuring.value) return;
    measuring.value = true;
    error.value = null;
    try {
      const reply = await loupe().invoke('reviewMasks.image', {
        runId: shown.runId,
        imageId: shown.imageId,
        classIndex: shown.classIndex,
        method: shown.heatmap.method,
        trust: true,
      });
      const measures = reply.heatmap?.trust ?? null;
      if (measures) measured.set(key, measures);
      if (key === shownKey) trust.value = measures;
    } catch (e) {
      if (key === shownKey) error.value = messageOf(e);
    } finally {
      measuring.value = false;
    }
  }

  return { trust, measuring, error, measure };
});
