/** What a segmentation review queue holds and in which order (the classification queue's is queue.ts). */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  type LabelTask,
  type MaskQueueItem,
  type MaskReviewOrder,
  type ReviewSource,
} from '../../../contract/index';
import { sourceImageIds } from './queue';

/** Image ids the source names, in id order; "unlabeled" means without a mask, and a class names no images. */
export function maskSourceImageIds(db: Database.Database, task: LabelTask, source: ReviewSource): number[] {
  if (source.kind === 'class')
    throw new LoupeError(
      'INVALID_REQUEST',
      `“${task.name}” is a segmentation task: its images carry masks, not class tags. Review a split, a folder or the unlabeled images.`,
    );
  if (source.kind === 'unlabeled')
    return db
      .prepare(
        'SELECT id FROM images WHERE missing = 0 AND id NOT IN (SELECT image_id FROM masks WHERE task_id = ?) ORDER BY id',
      )
      .pluck()
      .all(task.id) as number[];
  return sourceImageIds(db, task, source);
}

/** Most uncertain first, least overlap with the label first (images without a label last), or file order. */
export function orderMaskQueue(items: MaskQueueItem[], order: MaskReviewOrder): MaskQueueItem[] {
  const byId = (a: MaskQueueItem, b: MaskQueueItem) => a.imageId - b.imageId;
  const compare: Record<MaskReviewOrder, (a: MaskQueueItem, b: MaskQueueItem) => number> = {
    entropy: (a, b) => b.meanEntropy - a.meanEntropy || byId(a, b),
    dice: (a, b) => (a.dice ?? Infinity) - (b.dice ?? Infinity) || b.meanEntropy - a.meanEntropy || byId(a, b),
    file: (a, b) => a.fileName.localeCompare(b.fileName) || byId(a, b),
  };
  return [...items].sort(compare[order]);
}

/** The foreground class with the most predicted pixels; class 1 when none is predicted. */
export function largestForeground(classPixels: readonly number[]): number {
  let best = 1;
  for (let c = 2; c < classPixels.length; c++) if (classPixels[c]! > (classPixels[best] ?? 0)) best = c;
  return Math.min(best, Math.max(1, classPixels.length - 1));
}
