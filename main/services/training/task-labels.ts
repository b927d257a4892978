/** What a task's images carry for training, read from the label tables once per dataset: class tags, masks, boxes, pairs. */
import type { LabelTask, SampleBox } from '../../../contract/index';
import type { Workspace } from '../workspace/workspace';

/** What a task's images carry, read once per dataset. */
export interface TaskLabels {
  tags?: Map<number, number[]>;
  /** Segmentation: image id → its masks by frame. */
  masks?: Map<number, Map<number, MaskRow>>;
  /** Detection: boxes per image, and the images saved at least once (checked, maybe empty). */
  boxes?: Map<number, SampleBox[]>;
  saved?: Set<number>;
  /** Verification: the task's pairs, by image id. */
  pairs?: { a: number; b: number; same: boolean }[];
}

export function readLabels(ws: Workspace, task: LabelTask): TaskLabels {
  switch (task.kind) {
    case 'classification':
      return { tags: classTags(ws, task) };
    case 'segmentation':
      return { masks: maskRows(ws, task.id) };
    case 'detection':
      return {
        boxes: boxesOf(ws, task),
        saved: new Set(
          ws.db.prepare('SELECT image_id FROM label_revisions WHERE task_id = ?').pluck().all(task.id) as number[],
        ),
      };
    case 'verification':
      return {
        pairs: (
          ws.db
            .prepare('SELECT image_a AS a, image_b AS b, same FROM pairs WHERE task_id = ? ORDER BY id')
            .all(task.id) as { a: number; b: number; same: number }[]
        ).map((p) => ({ a: p.a, b: p.b, same: p.same === 1 })),
      };
  }
}

/** Image id → its boxes, class ids as indices into the task's class order. */
function boxesOf(ws: Workspace, task: LabelTask): Map<number, SampleBox[]> {
  const index = new Map(task.classes.map((c, i) => [c.id, i]));
  const rows = ws.db
    .prepare('SELECT image_id, class_id, x1, y1, x2, y2 FROM boxes WHERE task_id = ? ORDER BY image_id, position')
    .all(task.id) as {
    image_id: number;
    class_id: number;
    x1: number;
    y1: number;
    x2: number;
    y2: number;
  }[];
  const out = new Map<number, SampleBox[]>();
  for (const r of rows) {
    const list = out.get(r.image_id) ?? [];
    list.push({ box: [r.x1, r.y1, r.x2, r.y2], classId: index.get(r.class_id)! });
    out.set(r.image_id, list);
  }
  return out;
}

/** Image id → class indices (by the task's class order) of its tags. */
function classTags(ws: Workspace, task: LabelTask): Map<number, number[]> {
  const index = new Map(task.classes.map((c, i) => [c.id, i]));
  const out = new Map<number, number[]>();
  for (const row of ws.db.prepare('SELECT image_id, class_id FROM class_tags WHERE task_id = ?').all(task.id) as {
    image_id: number;
    class_id: number;
  }[]) {
    const list = out.get(row.image_id) ?? [];
    list.push(index.get(row.class_id)!);
    out.set(row.image_id, list);
  }
  return out;
}

export interface MaskRow {
  file: string;
  sha256: string;
  width: number;
  height: number;
}

function maskRows(ws: Workspace, taskId: number): Map<number, Map<number, MaskRow>> {
  const rows = ws.db
    .prepare(
      'SELECT image_id, frame, file, sha256, width, height FROM masks WHERE task_id = ? ORDER BY image_id, frame',
    )
    .all(taskId) as (MaskRow & { image_id: number; frame: number })[];
  const out = new Map<number, Map<number, MaskRow>>();
  for (const { image_id, frame, ...row } of rows) {
    const frames = out.get(image_id) ?? new Map<number, MaskRow>();
    frames.set(frame, row);
    out.set(image_id, frames);
  }
  return out;
}
