import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ExplainMethodName, ReplyOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import type { HeatmapColourMap } from '../review/heatmap-colours';

export type ReviewExplanation = ReplyOf<'review.explain'>;
export type TrustMeasures = NonNullable<ReviewExplanation['trust']>;

/** Explanations kept: the image shown, the one prefetched, and a few to step back to. */
const MAX_KEPT_EXPLANATIONS = 8;
/** The overlay's opacity at first: the image stays readable under the warmest regions. */
export const DEFAULT_HEATMAP_OPACITY = 0.45;
/** Heatmap values under this are not drawn at first: the faint tail of a CAM covers the whole image otherwise. */
export const DEFAULT_HEATMAP_THRESHOLD = 0.2;

interface Kept {
  requestId: string;
  promise: Promise<ReviewExplanation>;
  /** Set once the reply is in, so a prefetched image shows in the same frame as its pixels. */
  value: ReviewExplanation | null;
}

/** Which image, under which run, explained how: what the store keeps and asks for. */
interface Target {
  runId: string;
  imageId: number;
}

/**
 * The Review section's heatmap: the method and class explained, how the overlay is drawn
 * (shown or not, opacity, colour map, threshold), the explanation of the image shown, and the
 * next image's explanation fetched ahead so that stepping on shows it at once. A reply for an
 * image, method or class no longer shown is kept for later but never drawn; a prefetch the
 * reviewer stepped away from is cancelled.
 *
 * Trust measures (deletion/insertion AUC, the randomisation check) are asked for, not fetched
 * with every heatmap: the engine pays one forward pass per deletion and insertion step and a
 * second explanation on a re-initialised model, many times the heatmap's cost, and prefetching
 * them would make every step through the queue pay it whether the reviewer reads them or not.
 */
export const useReviewExplainStore = defineStore('reviewExplain', () => {
  const method = ref<ExplainMethodName>('gradcam');
  /** The model class explained (its output order); null: each image's predicted class. */
  const classIndex = ref<number | null>(null);
  const visible = ref(true);
  const opacity = ref(DEFAULT_HEATMAP_OPACITY);
  const colourMap = ref<HeatmapColourMap>('turbo');
  const threshold = ref(DEFAULT_HEATMAP_THRESHOLD);
  const shown = shallowRef<ReviewExplanation | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const trust = shallowRef<TrustMeasures | null>(null);
  const measuringTrust = ref(false);

  const kept = new Map<string, Kept>();
  const trusted = new Map<string, TrustMeasures>();
  let target: Target | null = null;
  let shownKey: string | null = null;
  let prefetchKey: string | null = null;
  let prefetchTarget: Target | null = null;
  let generation = 0;

  const keyOf = (t: Target): string => `${t.runId}\0${t.imageId}\0${method.value}\0${classIndex.value ?? 'top'}`;

  function request(t: Target, key: string): Kept {
    const existing = kept.get(key);
    if (existing) {
      // Most recently used last, so eviction drops the oldest.
      kept.delete(key);
      kept.set(key, existing);
      return existing;
    }
    while (kept.size >= MAX_KEPT_EXPLANATIONS) kept.delete(kept.keys().next().value!);
    const requestId = crypto.randomUUID();
    const promise = loupe().invoke(
      'review.explain',
      {
        runId: t.runId,
        imageId: t.imageId,
        method: method.value,
        ...(classIndex.value === null ? {} : { classIndex: classIndex.value }),
      },
      { requestId },
    );
    const entry: Kept = { requestId, promise, value: null };
    promise.then(
      (value) => (entry.value = value),
      () => kept.get(key) === entry && kept.delete(key),
    );
    kept.set(key, entry);
    return entry;
  }

  /** Shows the explanation of an image, from what was fetched ahead when it is there. */
  async function show(runId: string, imageId: number): Promise<void> {
    const mine = ++generation;
    target = { runId, imageId };
    const key = keyOf(target);
    shownKey = key;
    trust.value = trusted.get(key) ?? null;
    error.value = null;
    const entry = request(target, key);
    shown.value = entry.value;
    if (entry.value) return;
    loading.value = true;
    try {
      const value = await entry.promise;
      if (mine === generation) shown.value = value;
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  /** Starts the explanation of the image likely shown next; an earlier prefetch nobody waits for is cancelled. */
  function prefetch(runId: string, imageId: number): void {
    const key = keyOf({ runId, imageId });
    if (prefetchKey && prefetchKey !== key && prefetchKey !== shownKey) {
      const stale = kept.get(prefetchKey);
      if (stale && !stale.value) {
        loupe().cancel(stale.requestId);
        kept.delete(prefetchKey);
      }
    }
    prefetchKey = key;
    prefetchTarget = { runId, imageId };
    request(prefetchTarget, key);
  }

  /** After a change of method or class: the image shown, and the next one, explained the new way. */
  async function again(): Promise<void> {
    if (!target) return;
    const showing = show(target.runId, target.imageId);
    if (prefetchTarget) prefetch(prefetchTarget.runId, prefetchTarget.imageId);
    await showing;
  }

  async function setMethod(next: ExplainMethodName): Promise<void> {
    method.value = next;
    await again();
  }

  async function setClass(next: number | null): Promise<void> {
    classIndex.value = next;
    await again();
  }

  /** Deletion/insertion AUC and the randomisation check for the heatmap shown. */
  async function measureTrust(): Promise<void> {
    if (!target || measuringTrust.value) return;
    const t = target;
    const key = keyOf(t);
    measuringTrust.value = true;
    error.value = null;
    try {
      const reply = await loupe().invoke('review.explain', {
        runId: t.runId,
        imageId: t.imageId,
        method: method.value,
        ...(classIndex.value === null ? {} : { classIndex: classIndex.value }),
        trust: true,
      });
      if (reply.trust) trusted.set(key, reply.trust);
      if (key === shownKey) trust.value = reply.trust;
    } catch (e) {
      if (key === shownKey) error.value = messageOf(e);
    } finally {
      measuringTrust.value = false;
    }
  }

  /** Forgets every explanation, for another run: its maps are another model's. A queue rebuilt for the same run keeps them. */
  function reset(): void {
    generation++;
    for (const entry of kept.values()) if (!entry.value) loupe().cancel(entry.requestId);
    kept.clear();
    trusted.clear();
    target = null;
    shownKey = null;
    prefetchKey = null;
    prefetchTarget = null;
    shown.value = null;
    trust.value = null;
    loading.value = false;
    error.value = null;
    classIndex.value = null;
  }

  return {
    method,
    classIndex,
    visible,
    opacity,
    colourMap,
    threshold,
    shown,
    loading,
    error,
    trust,
    measuringTrust,
    show,
    prefetch,
    setMethod,
    setClass,
    measureTrust,
    reset,
  };
});
