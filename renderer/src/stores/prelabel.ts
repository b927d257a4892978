import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import type { LabelMask } from '../../../contract/geometry/index';
import {
  prelabelOrigin,
  type LabelClass,
  type ProposedTag,
  type ReplyOf,
  type RunSummary,
} from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { paintDraftMask } from '../labeling/draft-mask';
import { LabelHistory } from '../labeling/history';
import { heldMaskTarget, stepHeldMask, type MaskTarget } from '../labeling/mask-target';
import { entryKey, useImageLabelsStore } from './image-labels';
import { useWorkspaceStore } from './workspace';

export type PrelabelKind = 'classification' | 'segmentation';

/** A model's tag for one image, not yet accepted, with the run that proposed it. */
export type DraftTag = ProposedTag & { runId: string };

/** A model's mask for one image, not yet accepted. */
export interface MaskDraft {
  runId: string;
  mask: LabelMask;
  classPixels: ReplyOf<'models.proposeMask'>['classPixels'];
  meanEntropy: number;
}

/**
 * "Pre-label with run": a completed classification or segmentation run's predictions as drafts
 * (a tag with its probability; a mask), shown apart from saved labels. Drafts live only here:
 * accepting one goes through the label editor (undo, autosave) or, for many tags at once, one
 * bulk assignment; discarding forgets it; nothing else ever saves them. A draft mask can be painted
 * and erased with the mask tools before it is accepted (draftTarget): the edits stay in the draft.
 */
export const usePrelabelStore = defineStore('prelabel', () => {
  const labels = useImageLabelsStore();
  const runs = ref<RunSummary[]>([]);
  const runId = ref<string | null>(null);
  const tags = ref(new Map<string, DraftTag>());
  /** Masks are megabytes: not deeply reactive, replaced as a whole. */
  const masks = shallowRef(new Map<string, MaskDraft>());
  /** Bumped by every edit of a draft mask's pixels (the map above changes only when a draft comes or goes). */
  const draftVersion = shallowRef(0);
  /** Undo steps of each draft mask's painting, dropped with the draft. */
  const draftHistories = new Map<string, LabelHistory>();
  const busy = ref(false);
  const progress = ref<{ done: number; total: number } | null>(null);
  const error = ref<string | null>(null);
  let requestId: string | null = null;
  let forTask: { id: number; kind: PrelabelKind } | null = null;

  const ready = computed(() => runId.value !== null && !busy.value);
  const tagCount = computed(() => tags.value.size);

  /** Lists completed runs of the task's kind, this task's first (another task's run must have the same class names). */
  async function load(taskId: number, kind: PrelabelKind): Promise<void> {
    forTask = { id: taskId, kind };
    try {
      const { runs: all } = await loupe().invoke('training.runs', {});
      if (forTask?.id !== taskId) return;
      const usable = all.filter((r) => r.kind === kind && r.state === 'completed');
      runs.value = [...usable.filter((r) => r.taskId === taskId), ...usable.filter((r) => r.taskId !== taskId)];
      if (!runs.value.some((r) => r.runId === runId.value)) runId.value = runs.value[0]?.runId ?? null;
      error.value = null;
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  async function attempt<T>(work: (run: string) => Promise<T>): Promise<T | null> {
    const run = runId.value;
    if (run === null || busy.value) return null;
    busy.value = true;
    error.value = null;
    try {
      return await work(run);
    } catch (e) {
      error.value = messageOf(e);
      return null;
    } finally {
      busy.value = false;
      progress.value = null;
      requestId = null;
    }
  }

  /** Proposes tags for the images (the current one, the grid's, the unlabeled); returns how many. */
  async function proposeTags(taskId: number, imageIds: readonly number[]): Promise<number | null> {
    if (imageIds.length === 0) return 0;
    return attempt(async (run) => {
      requestId = crypto.randomUUID();
      progress.value = { done: 0, total: imageIds.length };
      const reply = await loupe().invoke(
        'models.proposeTags',
        { runId: run, taskId, imageIds: [...imageIds] },
        { requestId, onProgress: (p) => (progress.value = p) },
      );
      for (const tag of reply.tags) tags.value.set(entryKey(taskId, tag.imageId), { ...tag, runId: run });
      return reply.tags.length;
    });
  }

  async function proposeMask(taskId: number, imageId: number): Promise<boolean> {
    const reply = await attempt((run) => loupe().invoke('models.proposeMask', { runId: run, taskId, imageId }));
    if (!reply) return false;
    const next = new Map(masks.value);
    next.set(entryKey(taskId, imageId), {
      runId: runId.value!,
      mask: markRaw(reply.mask),
      classPixels: reply.classPixels,
      meanEntropy: reply.meanEntropy,
    });
    masks.value = next;
    return true;
  }

  function cancel(): void {
    if (requestId) loupe().cancel(requestId);
  }

  const tagOf = (taskId: number, imageId: number): DraftTag | null => tags.value.get(entryKey(taskId, imageId)) ?? null;
  const maskOf = (taskId: number, imageId: number): MaskDraft | null =>
    masks.value.get(entryKey(taskId, imageId)) ?? null;

  /** The image's draft mask as the mask tools' target: painting it changes the draft, and saves nothing. */
  function draftTarget(taskId: number, imageId: number, classes: readonly LabelClass[]): MaskTarget | null {
    const draft = maskOf(taskId, imageId);
    if (!draft) return null;
    const key = entryKey(taskId, imageId);
    let history = draftHistories.get(key);
    if (!history) draftHistories.set(key, (history = new LabelHistory()));
    return heldMaskTarget(draft.mask, draftVersion.value, classes, () => draftVersion.value++, history);
  }

  /** Ctrl+Z / Ctrl+Shift+Z on an image with a draft mask: steps through the draft's painting. */
  function stepDraft(taskId: number, imageId: number, direction: 'undo' | 'redo'): boolean {
    const draft = maskOf(taskId, imageId);
    const history = draftHistories.get(entryKey(taskId, imageId));
    if (!draft || !history || !stepHeldMask(draft.mask, history, direction)) return false;
    draftVersion.value++;
    return true;
  }

  /** The draft tag becomes the image's class (added to its classes in a multi-label task). */
  async function acceptTag(taskId: number, imageId: number, multiLabel: boolean): Promise<boolean> {
    const tag = tagOf(taskId, imageId);
    if (!tag) return false;
    const entry = await labels.load(taskId, 'classification', imageId);
    labels.setClasses(taskId, imageId, multiLabel ? [...entry.classIds, tag.classId] : [tag.classId]);
    entry.origin = prelabelOrigin(tag.runId);
    tags.value.delete(entryKey(taskId, imageId));
    return true;
  }

  /** Accepts every draft tag of the task at or above `minimum` probability, one bulk assignment per class. */
  async function acceptTagsAbove(taskId: number, minimum: number, multiLabel: boolean): Promise<number> {
    // One assignment per class and run, so each image records the run its tag came from.
    const groups = new Map<string, { classId: number; runId: string; imageIds: number[] }>();
    for (const [key, t] of tags.value) {
      if (key !== entryKey(taskId, t.imageId) || t.probability < minimum) continue;
      const group = `${t.classId}|${t.runId}`;
      if (!groups.has(group)) groups.set(group, { classId: t.classId, runId: t.runId, imageIds: [] });
      groups.get(group)!.imageIds.push(t.imageId);
    }
    let accepted = 0;
    try {
      for (const { classId, runId: run, imageIds } of groups.values()) {
        imageIds.sort((a, b) => a - b);
        const mode = multiLabel ? 'add' : 'set';
        await labels.bulkAssign({ taskId, imageIds, mode, classId, origin: prelabelOrigin(run) });
        for (const id of imageIds) tags.value.delete(entryKey(taskId, id));
        accepted += imageIds.length;
      }
    } catch (e) {
      error.value = messageOf(e);
    }
    return accepted;
  }

  /** The draft mask (as edited so far) replaces the image's mask as one undoable edit. */
  async function acceptMask(taskId: number, imageId: number): Promise<boolean> {
    const draft = maskOf(taskId, imageId);
    if (!draft) return false;
    const entry = await labels.load(taskId, 'segmentation', imageId);
    labels.applyMask(taskId, imageId, (stroke) => paintDraftMask(stroke, draft.mask));
    entry.origin = prelabelOrigin(draft.runId);
    discard(taskId, imageId);
    return true;
  }

  /** Forgets the image's draft (tag or mask); nothing was saved, so nothing is undone. */
  function discard(taskId: number, imageId: number): void {
    const key = entryKey(taskId, imageId);
    tags.value.delete(key);
    draftHistories.delete(key);
    if (masks.value.has(key)) {
      const next = new Map(masks.value);
      next.delete(key);
      masks.value = next;
    }
  }

  function discardAll(taskId: number): void {
    for (const key of [...tags.value.keys()]) if (key.startsWith(`${taskId}:`)) tags.value.delete(key);
    masks.value = new Map([...masks.value].filter(([key]) => !key.startsWith(`${taskId}:`)));
    for (const key of [...draftHistories.keys()]) if (key.startsWith(`${taskId}:`)) draftHistories.delete(key);
  }

  function reset(): void {
    runs.value = [];
    runId.value = null;
    tags.value = new Map();
    masks.value = new Map();
    draftHistories.clear();
    error.value = null;
    forTask = null;
  }

  // Drafts name task and image ids of the workspace they were made for.
  watch(
    () => useWorkspaceStore().current?.path,
    () => reset(),
  );

  return {
    runs,
    runId,
    tags,
    masks,
    draftVersion,
    busy,
    progress,
    error,
    ready,
    tagCount,
    load,
    proposeTags,
    proposeMask,
    cancel,
    tagOf,
    maskOf,
    draftTarget,
    stepDraft,
    acceptTag,
    acceptTagsAbove,
    acceptMask,
    discard,
    discardAll,
    reset,
  };
});
