/**
 * Train/val/test splits of a task, stored per image with the group it was placed by.
 */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  SPLITS,
  groupBySchema,
  type GroupBy,
  type ParsedRequestOf,
  type ReplyOf,
  type SplitCounts,
  type SplitName,
  type SplitSettings,
} from '../../../contract/index';
import { allImages, type LabeledImage } from './images';
import { taskImageFilter, taskImageIds } from './task-images';
import { nowIso } from './revisions';
import { planSplits, type SplitItem } from './split-plan';
import { requireTask } from './tasks';

/** (image, class) rows of what a task's images carry, with instance counts, per kind. */
export function imageClassRows(
  db: Database.Database,
  taskId: number,
): { imageId: number; classId: number; instances: number }[] {
  const kind = requireTask(db, taskId).kind;
  const sql = {
    classification: 'SELECT image_id AS imageId, class_id AS classId, 1 AS instances FROM class_tags WHERE task_id = ?',
    detection:
      'SELECT image_id AS imageId, class_id AS classId, COUNT(*) AS instances FROM boxes WHERE task_id = ? GROUP BY image_id, class_id',
    segmentation:
      // A multi-frame image's masks (one per frame) count together: the split places images, not frames.
      'SELECT image_id AS imageId, class_id AS classId, SUM(pixels) AS instances FROM mask_pixels WHERE task_id = ? GROUP BY image_id, class_id',
    verification: null,
  }[kind];
  return sql ? (db.prepare(sql).all(taskId) as { imageId: number; classId: number; instances: number }[]) : [];
}

/** The group an image belongs to, or null when its key is missing (then it is a group of its own). */
export function groupKeyOf(image: LabeledImage, groupBy: GroupBy, pattern: RegExp | null): string | null {
  switch (groupBy.kind) {
    case 'image':
      return `image:${image.id}`;
    case 'patient':
      return image.patientId?.trim() ? `patient:${image.patientId.trim()}` : null;
    case 'metadata': {
      let metadata: Record<string, unknown>;
      try {
        metadata = JSON.parse(image.metadataJson) as Record<string, unknown>;
      } catch {
        return null;
      }
      const key = Object.hasOwn(metadata, groupBy.field)
        ? groupBy.field
        : Object.keys(metadata).find((k) => k.toLowerCase() === groupBy.field.toLowerCase());
      const value = key === undefined ? undefined : metadata[key];
      return value === undefined || value === null || value === '' ? null : `field:${JSON.stringify(value)}`;
    }
    case 'filename': {
      const match = pattern!.exec(image.fileName);
      const key = match?.[1] ?? match?.[0];
      return key ? `name:${key}` : null;
    }
  }
}

function compilePattern(groupBy: GroupBy): RegExp | null {
  if (groupBy.kind !== 'filename') return null;
  try {
    return new RegExp(groupBy.pattern);
  } catch (error) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The file-name pattern is not a valid regular expression: ${(error as Error).message}`,
    );
  }
}

export function readSettings(db: Database.Database, taskId: number): SplitSettings | null {
  const row = db.prepare('SELECT * FROM split_settings WHERE task_id = ?').get(taskId) as
    | { fractions_json: string; group_by_json: string; seed: number; locked: number; assigned_at: string }
    | undefined;
  if (!row) return null;
  return {
    fractions: JSON.parse(row.fractions_json) as SplitSettings['fractions'],
    groupBy: groupBySchema.parse(JSON.parse(row.group_by_json)),
    seed: row.seed,
    locked: row.locked === 1,
    assignedAt: row.assigned_at,
  };
}

export function assignSplits(
  db: Database.Database,
  request: ParsedRequestOf<'labels.assignSplits'>,
): ReplyOf<'labels.assignSplits'> {
  requireTask(db, request.taskId);
  const settings = readSettings(db, request.taskId);
  const keepExisting = request.keepExisting ?? settings?.locked ?? false;
  if (settings?.locked && !keepExisting) {
    throw new LoupeError(
      'INVALID_REQUEST',
      'This split is locked: new images can be added to it, but to reassign every image unlock it first.',
    );
  }
  const pattern = compilePattern(request.groupBy);
  return db.transaction(() => {
    // Only the task's images are split; an image outside them keeps any split it had (unused) on "keep existing".
    const inTask = taskImageFilter(db, request.taskId);
    const images = allImages(db).filter((image) => inTask(image.id));
    const classes = new Map<number, number[]>();
    for (const row of imageClassRows(db, request.taskId)) {
      const list = classes.get(row.imageId);
      if (list) list.push(row.classId);
      else classes.set(row.imageId, [row.classId]);
    }
    let ungrouped = 0;
    const items: SplitItem[] = images.map((image) => {
      const key = groupKeyOf(image, request.groupBy, pattern);
      if (key === null) ungrouped++;
      return { imageId: image.id, groupKey: key ?? `image:${image.id}`, classes: classes.get(image.id) ?? [] };
    });
    const existing = new Map<number, SplitName>();
    if (keepExisting) {
      for (const row of db
        .prepare('SELECT image_id, split FROM split_assignments WHERE task_id = ?')
        .all(request.taskId) as { image_id: number; split: SplitName }[]) {
        if (inTask(row.image_id)) existing.set(row.image_id, row.split);
      }
    }
    const plan = planSplits(items, { fractions: request.fractions, seed: request.seed, existing });
    if (!keepExisting) db.prepare('DELETE FROM split_assignments WHERE task_id = ?').run(request.taskId);
    const insert = db.prepare(
      'INSERT OR IGNORE INTO split_assignments (task_id, image_id, split, group_key) VALUES (?, ?, ?, ?)',
    );
    let newlyAssigned = 0;
    for (const item of items) {
      if (existing.has(item.imageId)) continue;
      insert.run(request.taskId, item.imageId, plan.get(item.imageId)!, item.groupKey);
      newlyAssigned++;
    }
    db.prepare(
      `INSERT INTO split_settings (task_id, fractions_json, group_by_json, seed, locked, assigned_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (task_id) DO UPDATE SET fractions_json = excluded.fractions_json, group_by_json = excluded.group_by_json,
         seed = excluded.seed, assigned_at = excluded.assigned_at`,
    ).run(
      request.taskId,
      JSON.stringify(request.fractions),
      JSON.stringify(request.groupBy),
      request.seed,
      settings?.locked ? 1 : 0,
      nowIso(),
    );
    return { ...splitCounts(db, request.taskId), ungrouped, newlyAssigned };
  })();
}

export function lockSplits(db: Database.Database, taskId: number, locked: boolean): SplitCounts {
  requireTask(db, taskId);
  const changed = db
    .prepare('UPDATE split_settings SET locked = ? WHERE task_id = ?')
    .run(locked ? 1 : 0, taskId).changes;
  if (changed === 0)
    throw new LoupeError('INVALID_REQUEST', 'This task has no split yet: assign train/val/test first.');
  return splitCounts(db, taskId);
}

export function splitCounts(db: Database.Database, taskId: number): SplitCounts {
  requireTask(db, taskId);
  const taskImages = taskImageIds(db, taskId);
  const assigned = (
    db.prepare('SELECT image_id, split, group_key FROM split_assignments WHERE task_id = ?').all(taskId) as {
      image_id: number;
      split: SplitName;
      group_key: string;
    }[]
  ).filter((a) => !taskImages || taskImages.has(a.image_id));
  const splitOf = new Map(assigned.map((a) => [a.image_id, a.split]));
  const perImage = new Map<number, { classId: number; instances: number }[]>();
  for (const row of imageClassRows(db, taskId)) {
    const list = perImage.get(row.imageId);
    if (list) list.push(row);
    else perImage.set(row.imageId, [row]);
  }
  const splits = SPLITS.map((split) => {
    const members = assigned.filter((a) => a.split === split);
    const byClass = new Map<number, { images: number; instances: number }>();
    let unlabeled = 0;
    for (const member of members) {
      const rows = perImage.get(member.image_id) ?? [];
      if (rows.length === 0) unlabeled++;
      for (const row of rows) {
        const entry = byClass.get(row.classId) ?? { images: 0, instances: 0 };
        entry.images++;
        entry.instances += row.instances;
        byClass.set(row.classId, entry);
      }
    }
    return {
      split,
      images: members.length,
      groups: new Set(members.map((m) => m.group_key)).size,
      classes: [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([classId, c]) => ({ classId, ...c })),
      unlabeled,
    };
  });
  const total = taskImages?.size ?? Number(db.prepare('SELECT COUNT(*) FROM images').pluck().get());
  return { taskId, settings: readSettings(db, taskId), splits, unassigned: total - splitOf.size };
}
