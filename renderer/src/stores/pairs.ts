import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { FramePixels, LabelPair, RequestOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/** Pairs listed at once: the newest, plenty for a review list (the total is always shown). */
export const PAIR_LIST_SIZE = 500;
/** Frames kept for the side-by-side previews (the two shown plus the ones just left). */
const PREVIEW_CACHE_SIZE = 6;

/** A pair edit and what undoing it needs. */
type PairEdit =
  /** `previous`: the pair's state before, when marking updated an existing pair. */
  { kind: 'mark'; pair: LabelPair; previous: LabelPair | null } | { kind: 'delete'; pairs: LabelPair[] };

/**
 * A verification task's pairs: marking two images same/different, deleting pairs, generating
 * balanced pairs from a classification task, and undo/redo of the marks and deletions. Also the
 * frames the side-by-side view shows.
 */
export const usePairsStore = defineStore('pairs', () => {
  const pairs = ref<LabelPair[]>([]);
  const total = ref(0);
  const error = ref<string | null>(null);
  const busy = ref(false);
  const lastGenerated = ref<{ positives: number; negatives: number; alreadyThere: number } | null>(null);
  const done: PairEdit[] = [];
  const undone: PairEdit[] = [];
  const historyVersion = shallowRef(0);
  const frames = new Map<number, FramePixels>();
  let taskId: number | null = null;

  async function load(id: number): Promise<void> {
    if (taskId !== id) {
      done.length = 0;
      undone.length = 0;
      historyVersion.value++;
    }
    taskId = id;
    try {
      const page = await loupe().invoke('labels.pairs', { taskId: id, offset: 0, limit: PAIR_LIST_SIZE });
      pairs.value = page.pairs;
      total.value = page.total;
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  async function attempt(work: () => Promise<void>): Promise<boolean> {
    busy.value = true;
    error.value = null;
    try {
      await work();
      return true;
    } catch (e) {
      error.value = messageOf(e);
      return false;
    } finally {
      busy.value = false;
      historyVersion.value++;
      if (taskId !== null) await load(taskId);
    }
  }

  const samePair = (p: LabelPair, a: number, b: number): boolean =>
    (p.imageA === a && p.imageB === b) || (p.imageA === b && p.imageB === a);

  async function applyMark(a: number, b: number, same: boolean): Promise<LabelPair> {
    return loupe().invoke('labels.addPair', { taskId: taskId!, imageA: a, imageB: b, same });
  }

  /** S / D: marks the two images; marking an existing pair again changes it. */
  function mark(id: number, a: number, b: number, same: boolean): Promise<boolean> {
    taskId = id;
    const previous = pairs.value.find((p) => samePair(p, a, b)) ?? null;
    return attempt(async () => {
      const pair = await applyMark(a, b, same);
      done.push({ kind: 'mark', pair, previous });
      undone.length = 0;
    });
  }

  function remove(id: number, pairIds: number[]): Promise<boolean> {
    taskId = id;
    const removed = pairs.value.filter((p) => pairIds.includes(p.id));
    return attempt(async () => {
      await loupe().invoke('labels.deletePairs', { taskId: id, pairIds });
      done.push({ kind: 'delete', pairs: removed });
      undone.length = 0;
    });
  }

  /** Reverts an edit; re-created pairs get new ids, which the edit then remembers. */
  async function revert(edit: PairEdit): Promise<PairEdit> {
    if (edit.kind === 'mark') {
      if (edit.previous) await applyMark(edit.previous.imageA, edit.previous.imageB, edit.previous.same);
      else await loupe().invoke('labels.deletePairs', { taskId: taskId!, pairIds: [edit.pair.id] });
      return edit;
    }
    const restored: LabelPair[] = [];
    for (const p of edit.pairs) restored.push(await applyMark(p.imageA, p.imageB, p.same));
    return { kind: 'delete', pairs: restored };
  }

  async function reapply(edit: PairEdit): Promise<PairEdit> {
    if (edit.kind === 'mark')
      return { ...edit, pair: await applyMark(edit.pair.imageA, edit.pair.imageB, edit.pair.same) };
    const ids = edit.pairs.map((p) => p.id);
    if (ids.length) await loupe().invoke('labels.deletePairs', { taskId: taskId!, pairIds: ids });
    return edit;
  }

  async function undo(): Promise<boolean> {
    const edit = done.pop();
    if (!edit) return false;
    return attempt(async () => {
      try {
        undone.push(await revert(edit));
      } catch (e) {
        done.push(edit);
        throw e;
      }
    });
  }

  async function redo(): Promise<boolean> {
    const edit = undone.pop();
    if (!edit) return false;
    return attempt(async () => {
      try {
        done.push(await reapply(edit));
      } catch (e) {
        undone.push(edit);
        throw e;
      }
    });
  }

  const canUndo = (): boolean => (void historyVersion.value, done.length > 0);
  const canRedo = (): boolean => (void historyVersion.value, undone.length > 0);

  function generate(request: RequestOf<'labels.generatePairs'>): Promise<boolean> {
    taskId = request.taskId;
    return attempt(async () => {
      lastGenerated.value = await loupe().invoke('labels.generatePairs', request);
    });
  }

  /** The middle frame of an image, for a preview (cached: stepping back and forth does not reload). */
  async function frame(imageId: number): Promise<FramePixels> {
    const have = frames.get(imageId);
    if (have) return have;
    const { info } = await loupe().invoke('imaging.get', { id: imageId });
    const got = await loupe().invoke('imaging.frame', { id: imageId, frame: Math.floor((info.frames - 1) / 2) });
    frames.set(imageId, got);
    while (frames.size > PREVIEW_CACHE_SIZE) frames.delete(frames.keys().next().value!);
    return got;
  }

  return {
    pairs,
    total,
    error,
    busy,
    lastGenerated,
    load,
    mark,
    remove,
    undo,
    redo,
    canUndo,
    canRedo,
    generate,
    frame,
  };
});
