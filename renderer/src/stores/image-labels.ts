import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, watch } from 'vue';
import { isLoupeError, type BoxLabel, type RequestOf, type TaskKind } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { useWorkspaceStore } from './workspace';
import { copyBoxes } from '../labeling/box-edits';
import { LabelHistory, type LabelEdit } from '../labeling/history';
import { MaskStroke, redoMaskDiff, undoMaskDiff } from '../labeling/mask-edits';
import { useAutosave } from '../labeling/use-autosave';
import {
  entryKey,
  fromServer,
  KIND_OF_TASK,
  maskFramesNow,
  moveSiblingsOn,
  saveRequest,
  type ImageEntry,
} from './image-entry';

export { entryKey, type EntryKind, type ImageEntry } from './image-entry';

/** A mask operation under way on one frame's mask. */
type Stroke = { stroke: MaskStroke; created: boolean; frame: number };

/**
 * Labels of the images being edited, with undo/redo per image and autosave. Edits apply at once;
 * saves send each dirty image's whole state with the revision it was based on and an id per
 * state, so a retried save is never applied twice and a stale one is refused (a conflict the user
 * resolves: keep mine or take theirs). A multi-frame image's masks are one entry per frame (with
 * its own undo steps); the image's revision is shared, so a save of one frame moves its siblings on.
 */
export const useImageLabelsStore = defineStore('imageLabels', () => {
  const entries = ref(new Map<string, ImageEntry>());
  /** Changes whenever any mask's pixels change (masks are not deeply reactive). */
  const maskVersion = shallowRef(0);
  const historyVersion = shallowRef(0);
  const histories = new Map<string, LabelHistory>();
  const session = crypto.randomUUID();

  const dirty = computed(() => [...entries.value.values()].filter((e) => e.version !== e.savedVersion && !e.conflict));
  const conflicts = computed(() => [...entries.value.values()].filter((e) => e.conflict));

  const autosave = useAutosave({ save: saveAll, isDirty: () => dirty.value.length > 0 });

  // Edits are saved into the workspace they were made in, before another one opens; after the
  // switch, nothing cached here applies (task and image ids restart in every workspace).
  const workspace = useWorkspaceStore();
  workspace.beforeChange(() => autosave.flush());
  watch(
    () => workspace.current?.path,
    () => {
      entries.value.clear();
      histories.clear();
      loading.clear();
      historyVersion.value++;
      maskVersion.value++;
    },
  );

  function historyOf(key: string): LabelHistory {
    let history = histories.get(key);
    if (!history) histories.set(key, (history = new LabelHistory()));
    return history;
  }

  function entry(taskId: number, imageId: number, frame = 0): ImageEntry {
    const found = entries.value.get(entryKey(taskId, imageId, frame));
    if (!found) throw new Error(`Labels of image ${imageId} are not loaded; call load() first.`);
    return found;
  }

  const loading = new Map<string, Promise<ImageEntry>>();

  /**
   * Loads an image's labels, keeping local edits that are not saved yet. Calls for the same image
   * while one is on its way share it, and an edit made while it was on its way is never replaced.
   */
  function load(
    taskId: number,
    taskKind: Exclude<TaskKind, 'verification'>,
    imageId: number,
    frame = 0,
  ): Promise<ImageEntry> {
    const key = entryKey(taskId, imageId, frame);
    const have = entries.value.get(key);
    if (have && (have.version !== have.savedVersion || have.conflict)) return Promise.resolve(have);
    let pending = loading.get(key);
    if (!pending) {
      pending = (async () => {
        try {
          const request = { taskId, imageId, ...(frame > 0 ? { frame } : {}) };
          const fresh = fromServer(await loupe().invoke('labels.get', request), KIND_OF_TASK[taskKind]);
          const now = entries.value.get(key);
          if (now && (now.version !== now.savedVersion || now.conflict)) return now;
          entries.value.set(key, fresh);
          maskVersion.value++;
          return entries.value.get(key)!;
        } finally {
          loading.delete(key);
        }
      })();
      loading.set(key, pending);
    }
    return pending;
  }

  function changed(e: ImageEntry, edit: LabelEdit): void {
    historyOf(entryKey(e.taskId, e.imageId, e.frame)).push(edit);
    e.origin = null;
    e.version++;
    historyVersion.value++;
    autosave.notify();
  }

  function setClasses(taskId: number, imageId: number, classIds: number[]): void {
    const e = entry(taskId, imageId);
    const after = [...new Set(classIds)].sort((a, b) => a - b);
    if (after.join() === e.classIds.join()) return;
    changed(e, { kind: 'classes', before: e.classIds, after });
    e.classIds = after;
  }

  /** Keys 1–9: single-label sets the class; multi-label toggles it. */
  function pressClass(taskId: number, imageId: number, classId: number, multiLabel: boolean): void {
    const e = entry(taskId, imageId);
    if (!multiLabel) return setClasses(taskId, imageId, [classId]);
    setClasses(
      taskId,
      imageId,
      e.classIds.includes(classId) ? e.classIds.filter((c) => c !== classId) : [...e.classIds, classId],
    );
  }

  function setBoxes(taskId: number, imageId: number, boxes: BoxLabel[]): void {
    const e = entry(taskId, imageId);
    if (JSON.stringify(boxes) === JSON.stringify(e.boxes)) return;
    changed(e, { kind: 'boxes', before: e.boxes, after: boxes });
    e.boxes = boxes;
  }

  async function copyPreviousBoxes(taskId: number, imageId: number, previousImageId: number): Promise<void> {
    const previous = await load(taskId, 'detection', previousImageId);
    const e = entry(taskId, imageId);
    setBoxes(taskId, imageId, copyBoxes(e.boxes, previous.boxes, e));
  }

  /** Starts a mask operation (a whole brush stroke, a fill); the image gets an empty mask if it had none. */
  function beginStroke(taskId: number, imageId: number, frame = 0): Stroke {
    const e = entry(taskId, imageId, frame);
    const created = e.mask === null;
    if (!e.mask) e.mask = markRaw({ width: e.width, height: e.height, data: new Uint8Array(e.width * e.height) });
    return { stroke: new MaskStroke(e.mask), created, frame };
  }

  /** Ends it: one undo step, one autosave notification. */
  function endStroke(taskId: number, imageId: number, begun: Stroke): void {
    const e = entry(taskId, imageId, begun.frame);
    const diff = begun.stroke.finish();
    maskVersion.value++;
    if (diff) changed(e, { kind: 'mask', diff, created: begun.created });
    else if (begun.created) e.mask = null;
  }

  /** A one-shot mask operation (a fill, a polygon, the magic wand) as one undo step. */
  function applyMask(taskId: number, imageId: number, operation: (stroke: MaskStroke) => void, frame = 0): void {
    const begun = beginStroke(taskId, imageId, frame);
    operation(begun.stroke);
    endStroke(taskId, imageId, begun);
  }

  function step(taskId: number, imageId: number, direction: 'undo' | 'redo', frame = 0): boolean {
    const e = entry(taskId, imageId, frame);
    const history = historyOf(entryKey(taskId, imageId, frame));
    const edit = direction === 'undo' ? history.undo() : history.redo();
    if (!edit) return false;
    const forward = direction === 'redo';
    e.origin = null;
    if (edit.kind === 'classes') e.classIds = forward ? edit.after : edit.before;
    else if (edit.kind === 'boxes') e.boxes = forward ? edit.after : edit.before;
    else {
      if (!e.mask) e.mask = markRaw({ width: e.width, height: e.height, data: new Uint8Array(e.width * e.height) });
      if (forward) redoMaskDiff(e.mask, edit.diff);
      else undoMaskDiff(e.mask, edit.diff);
      if (!forward && edit.created) e.mask = null;
      maskVersion.value++;
    }
    e.version++;
    historyVersion.value++;
    autosave.notify();
    return true;
  }

  const undo = (taskId: number, imageId: number, frame = 0): boolean => step(taskId, imageId, 'undo', frame);
  const redo = (taskId: number, imageId: number, frame = 0): boolean => step(taskId, imageId, 'redo', frame);

  function canUndo(taskId: number, imageId: number, frame = 0): boolean {
    void historyVersion.value;
    return histories.get(entryKey(taskId, imageId, frame))?.canUndo ?? false;
  }

  function canRedo(taskId: number, imageId: number, frame = 0): boolean {
    void historyVersion.value;
    return histories.get(entryKey(taskId, imageId, frame))?.canRedo ?? false;
  }

  const maskFramesOf = (taskId: number, imageId: number): number[] => (
    void maskVersion.value,
    maskFramesNow(entries.value.values(), taskId, imageId)
  );

  /** Saves every dirty image; throws the first failure after trying them all. */
  async function saveAll(): Promise<void> {
    let failure: unknown = null;
    for (const e of dirty.value) {
      const version = e.version;
      try {
        const base = e.revision;
        const reply = await loupe().invoke('labels.save', saveRequest(e, session));
        e.revision = reply.revision;
        e.savedVersion = version;
        moveSiblingsOn(entries.value.values(), e, base);
      } catch (error) {
        if (isLoupeError(error) && error.code === 'CONFLICT') e.conflict = messageOf(error);
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }

  /** Resolves a conflict: keep the local labels (saved over the newer ones) or take the server's. */
  async function resolveConflict(taskId: number, imageId: number, keep: 'mine' | 'theirs', frame = 0): Promise<void> {
    const e = entry(taskId, imageId, frame);
    const latest = await loupe().invoke('labels.get', { taskId, imageId, ...(frame > 0 ? { frame } : {}) });
    if (keep === 'theirs') {
      entries.value.set(entryKey(taskId, imageId, frame), fromServer(latest, e.kind));
      histories.get(entryKey(taskId, imageId, frame))?.clear();
      historyVersion.value++;
      maskVersion.value++;
      return;
    }
    e.revision = latest.revision;
    e.conflict = null;
    autosave.notify();
  }

  /** Grid multi-select: one class for many images at once (saved immediately, in one transaction). */
  async function bulkAssign(request: RequestOf<'labels.assign'>): Promise<void> {
    await autosave.flush();
    const { revisions } = await loupe().invoke('labels.assign', request);
    for (const { imageId } of revisions) {
      // The server changed these images: drop cached copies and their (now unrelated) undo steps.
      entries.value.delete(entryKey(request.taskId, imageId));
      histories.delete(entryKey(request.taskId, imageId));
    }
    historyVersion.value++;
  }

  /**
   * Drops a task's cached labels and their undo steps after the server changed many of them at
   * once (a class deleted, an import): what was cached may name classes that no longer exist.
   * Saves what is pending first.
   */
  async function forgetTask(taskId: number): Promise<void> {
    await autosave.flush();
    for (const [key, e] of entries.value) {
      if (e.taskId !== taskId || e.conflict) continue;
      entries.value.delete(key);
      histories.delete(key);
    }
    historyVersion.value++;
    maskVersion.value++;
  }

  return {
    entries,
    maskVersion,
    historyVersion,
    dirty,
    conflicts,
    autosave,
    load,
    entry,
    setClasses,
    pressClass,
    setBoxes,
    copyPreviousBoxes,
    beginStroke,
    endStroke,
    applyMask,
    forgetTask,
    undo,
    redo,
    canUndo,
    canRedo,
    maskFramesOf,
    saveAll,
    resolveConflict,
    bulkAssign,
  };
});
