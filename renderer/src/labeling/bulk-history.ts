/**
 * Undo for bulk class assignment from the grid. A bulk assign changes many images on the server at
 * once, so its undo is also a few bulk calls: images are grouped by the classes they had before,
 * and each group gets those classes back. Kept apart from the per-image history, which holds edits
 * of one image; the grid's Ctrl+Z with several images selected walks this one.
 */
import type { RequestOf } from '../../../contract/index';

export type AssignRequest = RequestOf<'labels.assign'>;

export interface BulkEdit {
  request: AssignRequest;
  /** Every affected image's classes before the edit. */
  before: ReadonlyMap<number, readonly number[]>;
}

/** The assign calls that put every image back to its `before` classes, in order. */
export function restoreRequests(
  taskId: number,
  before: ReadonlyMap<number, readonly number[]>,
  multiLabel: boolean,
): AssignRequest[] {
  const groups = new Map<string, { classIds: readonly number[]; imageIds: number[] }>();
  for (const [imageId, classIds] of before) {
    const sorted = [...classIds].sort((a, b) => a - b);
    const key = sorted.join(',');
    const group = groups.get(key);
    if (group) group.imageIds.push(imageId);
    else groups.set(key, { classIds: sorted, imageIds: [imageId] });
  }
  const out: AssignRequest[] = [];
  for (const { classIds, imageIds } of groups.values()) {
    if (classIds.length === 0) out.push({ taskId, imageIds, mode: 'clear' });
    else if (!multiLabel || classIds.length === 1) out.push({ taskId, imageIds, mode: 'set', classId: classIds[0]! });
    else {
      out.push({ taskId, imageIds, mode: 'set', classId: classIds[0]! });
      for (const classId of classIds.slice(1)) out.push({ taskId, imageIds, mode: 'add', classId });
    }
  }
  return out;
}

/** Bulk edits in order, with a redo branch dropped by a new edit, as in every editor. */
export class BulkHistory {
  private readonly done: BulkEdit[] = [];
  private readonly undone: BulkEdit[] = [];

  constructor(readonly limit = 100) {}

  push(edit: BulkEdit): void {
    this.done.push(edit);
    if (this.done.length > this.limit) this.done.shift();
    this.undone.length = 0;
  }

  undo(): BulkEdit | null {
    const edit = this.done.pop() ?? null;
    if (edit) this.undone.push(edit);
    return edit;
  }

  redo(): BulkEdit | null {
    const edit = this.undone.pop() ?? null;
    if (edit) this.done.push(edit);
    return edit;
  }

  /** An undo or redo that failed on the server goes back where it was. */
  restoreUndo(edit: BulkEdit): void {
    this.undone.pop();
    this.done.push(edit);
  }

  restoreRedo(edit: BulkEdit): void {
    this.done.pop();
    this.undone.push(edit);
  }

  get canUndo(): boolean {
    return this.done.length > 0;
  }

  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  clear(): void {
    this.done.length = 0;
    this.undone.length = 0;
  }
}
