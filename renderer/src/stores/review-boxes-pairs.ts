import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import {
  DEFAULT_BOX_EXPLAIN_METHOD,
  DEFAULT_EXPLAIN_METHOD,
  type FramePixels,
  type ReplyOf,
  type RunSummary,
  type SplitName,
} from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

export type ReviewItems = ReplyOf<'explain.reviewItems'>;
export type BoxesExplanation = ReplyOf<'explain.boxes'>;
export type PairExplanation = ReplyOf<'explain.pair'>;
export type BoxPairMethod = BoxesExplanation['method'];

/** The frame the model reads, and so the one its boxes and maps lie on. */
const EXPLAINED_FRAME = 0;

/**
 * The Review section for detection and verification runs: which run, which split, the image or
 * pair shown with its pixels, the engine's explanation of it (every box with its map, or both
 * similarity maps) and the box selected. A reply for an image or pair no longer shown is dropped.
 */
export const useReviewBoxesPairsStore = defineStore('reviewBoxesPairs', () => {
  const runs = ref<RunSummary[]>([]);
  /** The detection or verification run reviewed; null while a classification run is reviewed. */
  const runId = ref<string | null>(null);
  const split = ref<SplitName>('test');
  const method = ref<BoxPairMethod>('gradcam');
  const items = shallowRef<ReviewItems | null>(null);
  const index = ref(0);
  const boxes = shallowRef<BoxesExplanation | null>(null);
  const pair = shallowRef<PairExplanation | null>(null);
  const selectedBox = ref(0);
  const pixels = shallowRef<Map<number, FramePixels>>(new Map());
  const loading = ref(false);
  const error = ref<string | null>(null);
  let generation = 0;

  const reviewable = computed(() =>
    runs.value.filter(
      (r) => r.state === 'completed' && (r.kind === 'detection' || r.kind === 'verification') && r.taskId !== null,
    ),
  );
  const count = computed(() =>
    items.value ? (items.value.kind === 'detection' ? items.value.images.length : items.value.pairs.length) : 0,
  );

  async function hydrate(): Promise<void> {
    try {
      runs.value = (await loupe().invoke('training.runs', {})).runs;
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  async function frameOf(imageId: number): Promise<FramePixels> {
    const known = pixels.value.get(imageId);
    if (known) return known;
    const got = await loupe().invoke('imaging.frame', { id: imageId, frame: EXPLAINED_FRAME });
    pixels.value = new Map(pixels.value).set(imageId, got);
    return got;
  }

  /** Explains the item at `index` (fetching its pixels alongside); a later call wins. */
  async function show(i: number): Promise<void> {
    const list = items.value;
    if (!list || count.value === 0) return;
    index.value = Math.max(0, Math.min(count.value - 1, i));
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    boxes.value = null;
    pair.value = null;
    selectedBox.value = 0;
    try {
      if (list.kind === 'detection') {
        const { imageId } = list.images[index.value]!;
        const [reply] = await Promise.all([
          loupe().invoke('explain.boxes', { runId: list.runId, imageId, method: method.value }),
          frameOf(imageId),
        ]);
        if (mine === generation) boxes.value = reply;
      } else {
        const { imageA, imageB } = list.pairs[index.value]!;
        const [reply] = await Promise.all([
          loupe().invoke('explain.pair', { runId: list.runId, imageA, imageB, method: method.value }),
          frameOf(imageA),
          frameOf(imageB),
        ]);
        if (mine === generation) pair.value = reply;
      }
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function load(): Promise<void> {
    const run = runId.value;
    // Per-box detection maps default to LayerCAM, whose peaks fall inside their own box most often.
    const kind = runs.value.find((r) => r.runId === run)?.kind;
    method.value = kind === 'detection' ? DEFAULT_BOX_EXPLAIN_METHOD : DEFAULT_EXPLAIN_METHOD;
    items.value = null;
    boxes.value = null;
    pair.value = null;
    pixels.value = new Map();
    if (!run) return;
    error.value = null;
    try {
      const reply = await loupe().invoke('explain.reviewItems', { runId: run, split: split.value });
      if (run !== runId.value) return;
      items.value = reply;
      await show(0);
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  /** Tab / Shift+Tab: the next or previous box, round the image's boxes. */
  function stepBox(step: 1 | -1): void {
    const n = boxes.value?.boxes.length ?? 0;
    if (n > 0) selectedBox.value = (selectedBox.value + step + n) % n;
  }

  async function setMethod(m: BoxPairMethod): Promise<void> {
    method.value = m;
    await show(index.value);
  }

  return {
    runs,
    runId,
    split,
    method,
    items,
    index,
    boxes,
    pair,
    selectedBox,
    pixels,
    loading,
    error,
    reviewable,
    count,
    hydrate,
    load,
    show,
    stepBox,
    setMethod,
  };
});
