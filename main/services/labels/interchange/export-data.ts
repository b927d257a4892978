/**
 * What exporters read: a task's labeled images with their labels, streamed one image at a time so
 * a mask export never holds more than one mask.
 */
import { LoupeError, type BoxLabel, type LabelTask, type MaskLabel, type SplitName } from '../../../../contract/index';
import type { Workspace } from '../../workspace/workspace';
import { allImages, type LabeledImage } from '../images';
import { taskImageFilter } from '../task-images';
import { readMaskFile } from '../mask-files';
import { requireTask } from '../tasks';
import { ImageNames } from './image-names';

export interface ExportSource {
  task: LabelTask;
  names: ImageNames;
  /** Images with labels in the task (detection: saved at least once, so negatives are kept). */
  images: LabeledImage[];
  tags: Map<number, number[]>;
  boxes: Map<number, BoxLabel[]>;
  /** Image id → its masks by frame (a single-frame image's is frame 0). */
  maskRows: Map<number, Map<number, { file: string; sha256: string }>>;
  /** The task's split, for the formats that carry it (imagefolder, image-mask, CSV). */
  splits: Map<number, SplitName>;
  readMask(imageId: number, frame?: number): Promise<MaskLabel>;
}

export function exportSource(ws: Workspace, taskId: number): ExportSource {
  const db = ws.db;
  const task = requireTask(db, taskId);
  const all = allImages(db);
  const inTask = taskImageFilter(db, taskId);
  const tags = new Map<number, number[]>();
  for (const r of db
    .prepare('SELECT image_id, class_id FROM class_tags WHERE task_id = ? ORDER BY image_id, class_id')
    .all(taskId) as { image_id: number; class_id: number }[]) {
    tags.set(r.image_id, [...(tags.get(r.image_id) ?? []), r.class_id]);
  }
  const boxes = new Map<number, BoxLabel[]>();
  for (const r of db
    .prepare(
      'SELECT image_id, class_id AS classId, x1, y1, x2, y2 FROM boxes WHERE task_id = ? ORDER BY image_id, position',
    )
    .all(taskId) as (BoxLabel & { image_id: number })[]) {
    const { image_id, ...box } = r;
    boxes.set(image_id, [...(boxes.get(image_id) ?? []), box]);
  }
  const maskRows: ExportSource['maskRows'] = new Map();
  for (const r of db
    .prepare('SELECT image_id, frame, file, sha256 FROM masks WHERE task_id = ? ORDER BY image_id, frame')
    .all(taskId) as { image_id: number; frame: number; file: string; sha256: string }[]) {
    const frames = maskRows.get(r.image_id) ?? new Map<number, { file: string; sha256: string }>();
    frames.set(r.frame, { file: r.file, sha256: r.sha256 });
    maskRows.set(r.image_id, frames);
  }
  const saved = new Set(
    db.prepare('SELECT image_id FROM label_revisions WHERE task_id = ?').pluck().all(taskId) as number[],
  );
  const labeled = (id: number): boolean =>
    task.kind === 'classification'
      ? tags.has(id)
      : task.kind === 'detection'
        ? saved.has(id)
        : task.kind === 'segmentation'
          ? maskRows.has(id)
          : false;
  const splits = new Map(
    (
      db.prepare('SELECT image_id, split FROM split_assignments WHERE task_id = ?').all(taskId) as {
        image_id: number;
        split: SplitName;
      }[]
    ).map((r) => [r.image_id, r.split]),
  );
  return {
    task,
    names: new ImageNames(all),
    // Labels of images outside the task's chosen images are kept but not exported.
    images: all.filter((i) => labeled(i.id) && inTask(i.id)),
    tags,
    boxes,
    maskRows,
    splits,
    readMask: (imageId, frame = 0) => {
      const row = maskRows.get(imageId)!.get(frame)!;
      return readMaskFile(ws.root, row.file, row.sha256);
    },
  };
}

/**
 * Formats that hold one mask per image (COCO, YOLO, a masks/ folder) take each image's frame-0
 * mask; masks on other frames of multi-frame images would be lost, so such an export is refused.
 */
export function refuseFrameMasks(source: ExportSource, format: string): void {
  const framed = source.images.filter((image) => [...source.maskRows.get(image.id)!.keys()].some((f) => f !== 0));
  if (framed.length === 0) return;
  throw new LoupeError(
    'INVALID_REQUEST',
    `${framed.length} image${framed.length === 1 ? ' has masks' : 's have masks'} on frames other than the first (e.g. ${source.names.exportName(framed[0]!)}), which ${format} cannot hold (one mask per image). Export as image-mask, which writes one mask per frame.`,
  );
}
