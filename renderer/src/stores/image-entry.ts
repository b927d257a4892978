/** One image's labels in one task as the editor holds them, and how they come from and go to the server. */
import { markRaw } from 'vue';
import type { LabelMask } from '../../../contract/geometry/index';
import type { BoxLabel, ImageLabels, RequestOf, TaskKind } from '../../../contract/index';

/** What a task's images carry, and so what a save sends. */
export type EntryKind = 'classes' | 'boxes' | 'mask';

export const KIND_OF_TASK: Record<Exclude<TaskKind, 'verification'>, EntryKind> = {
  classification: 'classes',
  detection: 'boxes',
  segmentation: 'mask',
};

export interface ImageEntry {
  kind: EntryKind;
  taskId: number;
  imageId: number;
  /** The frame a mask entry edits (each frame of a multi-frame image has its own mask); 0 otherwise. */
  frame: number;
  /** The frames that had a mask when this entry was loaded (the server's maskFrames). */
  maskFrames: number[];
  width: number;
  height: number;
  /** The server revision the local state is based on. */
  revision: number;
  classIds: number[];
  boxes: BoxLabel[];
  /** Not reactive (megabytes): screens redraw on `maskVersion`. */
  mask: LabelMask | null;
  /** Bumped by every local change; saved when it differs from savedVersion. */
  version: number;
  savedVersion: number;
  /** Set when the server refused a save as stale; saving this image waits for the user. */
  conflict: string | null;
  /** Where the unsaved state came from (prelabelOrigin), prefixed to its save id; any edit clears it. */
  origin?: string | null;
}

/**
 * Entries are per image, and for masks per frame: frame 0's key is the image's own, so class
 * tags, boxes and single-frame masks are keyed as before.
 */
export const entryKey = (taskId: number, imageId: number, frame = 0): string =>
  `${taskId}:${imageId}${frame > 0 ? `@${frame}` : ''}`;

export function fromServer(labels: ImageLabels, kind: EntryKind): ImageEntry {
  return {
    kind,
    taskId: labels.taskId,
    imageId: labels.imageId,
    frame: labels.frame,
    maskFrames: labels.maskFrames,
    width: labels.width,
    height: labels.height,
    revision: labels.revision,
    classIds: labels.classIds,
    boxes: labels.boxes,
    mask: labels.mask
      ? markRaw({ width: labels.mask.width, height: labels.mask.height, data: labels.mask.data })
      : null,
    version: 0,
    savedVersion: 0,
    conflict: null,
  };
}

/** The save of an image's whole state; `session` names this editor, so each state's save id is its own. */
export function saveRequest(e: ImageEntry, session: string): RequestOf<'labels.save'> {
  // One id per state: a retry of the same state sends the same id, so it is applied once.
  const base = {
    taskId: e.taskId,
    imageId: e.imageId,
    baseRevision: e.revision,
    saveId: `${e.origin ? `${e.origin}|` : ''}${session}:${entryKey(e.taskId, e.imageId, e.frame)}:${e.version}`,
  };
  if (e.kind === 'classes') return { ...base, classIds: e.classIds };
  if (e.kind === 'boxes') return { ...base, boxes: e.boxes };
  return {
    ...base,
    ...(e.frame > 0 ? { frame: e.frame } : {}),
    mask: e.mask ? { width: e.mask.width, height: e.mask.height, data: e.mask.data as Uint8Array<ArrayBuffer> } : null,
  };
}

/** After `saved` was saved on revision `base`: its other frames loaded on `base` are still current (the save changed only its frame). */
export function moveSiblingsOn(entries: Iterable<ImageEntry>, saved: ImageEntry, base: number): void {
  for (const e of entries)
    if (e !== saved && e.taskId === saved.taskId && e.imageId === saved.imageId && e.revision === base)
      e.revision = saved.revision;
}

/**
 * The frames of an image that have a mask now: what the server said when its frames were loaded,
 * with each loaded frame's local state (drawn on, or cleared) in place of it.
 */
export function maskFramesNow(entries: Iterable<ImageEntry>, taskId: number, imageId: number): number[] {
  const siblings = [...entries].filter((e) => e.taskId === taskId && e.imageId === imageId);
  const frames = new Set(siblings.flatMap((e) => e.maskFrames));
  for (const e of siblings) {
    if (e.mask) frames.add(e.frame);
    else frames.delete(e.frame);
  }
  return [...frames].sort((a, b) => a - b);
}
