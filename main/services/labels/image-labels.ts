/**
 * One image's labels in one task: read, save (whole state, revision-checked, idempotent), bulk
 * class tags, and the per-image summary the grid filters on.
 */
import type Database from 'better-sqlite3';
import { boxProblem } from '../../../contract/geometry/index';
import {
  LoupeError,
  type BoxLabel,
  type ImageLabels,
  type ImageLabelSummary,
  type LabelTask,
  type MaskLabel,
  type ParsedRequestOf,
  type ReplyOf,
} from '../../../contract/index';
import type { Workspace } from '../workspace/workspace';
import { missingImageIds, requireImage } from './images';
import { maskHistogram, readMaskFile, removeMaskFiles, writeMaskFile, type WrittenMask } from './mask-files';
import { bumpRevision, currentRevision, nowIso } from './revisions';
import { requireTask } from './tasks';

interface MaskRow {
  file: string;
  sha256: string;
  width: number;
  height: number;
}

/** How often a read retries when a concurrent save replaced the mask file between row and file. */
const MASK_READ_ATTEMPTS = 3;

export async function getImageLabels(ws: Workspace, taskId: number, imageId: number): Promise<ImageLabels> {
  const db = ws.db;
  requireTask(db, taskId);
  const image = requireImage(db, imageId);
  for (let attempt = 1; ; attempt++) {
    // One read transaction: revision, tags, boxes and the mask row describe the same state.
    const snapshot = db.transaction(() => ({
      revision: currentRevision(db, taskId, imageId).revision,
      classIds: db
        .prepare('SELECT class_id FROM class_tags WHERE task_id = ? AND image_id = ? ORDER BY class_id')
        .pluck()
        .all(taskId, imageId) as number[],
      boxes: db
        .prepare(
          'SELECT class_id AS classId, x1, y1, x2, y2 FROM boxes WHERE task_id = ? AND image_id = ? ORDER BY position',
        )
        .all(taskId, imageId) as BoxLabel[],
      mask: db
        .prepare('SELECT file, sha256, width, height FROM masks WHERE task_id = ? AND image_id = ?')
        .get(taskId, imageId) as MaskRow | undefined,
    }))();
    let mask: MaskLabel | null = null;
    if (snapshot.mask) {
      try {
        mask = await readMaskFile(ws.root, snapshot.mask.file, snapshot.mask.sha256);
      } catch (error) {
        const moved = currentRevision(db, taskId, imageId).revision !== snapshot.revision;
        if (moved && attempt < MASK_READ_ATTEMPTS) continue;
        throw error;
      }
    }
    return {
      taskId,
      imageId,
      revision: snapshot.revision,
      width: image.width,
      height: image.height,
      classIds: snapshot.classIds,
      boxes: snapshot.boxes,
      mask,
    };
  }
}

type SaveRequest = ParsedRequestOf<'labels.save'>;

function conflict(current: number, base: number): LoupeError {
  return new LoupeError(
    'CONFLICT',
    `These labels were changed elsewhere since you started editing (now at revision ${current}, your edits are on ${base}). Reload the image to see the latest labels.`,
  );
}

export async function saveImageLabels(ws: Workspace, request: SaveRequest): Promise<ReplyOf<'labels.save'>> {
  const db = ws.db;
  const task = requireTask(db, request.taskId);
  const image = requireImage(db, request.imageId);
  const { taskId, imageId, saveId, baseRevision } = request;
  const before = currentRevision(db, taskId, imageId);
  // A retry of a save that already landed (its reply was lost): answer it, change nothing.
  if (before.saveId === saveId) return { revision: before.revision, duplicate: true, savedAt: nowIso() };
  if (before.revision !== baseRevision) throw conflict(before.revision, baseRevision);

  const apply = validateForTask(task, request, image.width, image.height);
  let written: WrittenMask | null = null;
  if (apply.kind === 'mask' && apply.mask) written = await writeMaskFile(ws.root, taskId, imageId, apply.mask);
  let replacedFile: string | null = null;
  let result: ReplyOf<'labels.save'>;
  try {
    result = db.transaction(() => {
      // Re-check: another save may have committed while the mask file was being written.
      const now = currentRevision(db, taskId, imageId);
      if (now.saveId === saveId) return { revision: now.revision, duplicate: true, savedAt: nowIso() };
      if (now.revision !== baseRevision) throw conflict(now.revision, baseRevision);
      if (apply.kind === 'classes') {
        db.prepare('DELETE FROM class_tags WHERE task_id = ? AND image_id = ?').run(taskId, imageId);
        const insert = db.prepare('INSERT INTO class_tags (task_id, image_id, class_id) VALUES (?, ?, ?)');
        for (const classId of apply.classIds) insert.run(taskId, imageId, classId);
      } else if (apply.kind === 'boxes') {
        writeBoxes(db, taskId, imageId, apply.boxes);
      } else {
        replacedFile = replaceMaskRow(
          db,
          taskId,
          imageId,
          written && { ...written, width: image.width, height: image.height },
          apply.pixels,
        );
      }
      const revision = bumpRevision(db, taskId, imageId, saveId);
      return { revision, duplicate: false, savedAt: nowIso() };
    })();
  } catch (error) {
    if (written) await removeMaskFiles(ws.root, [written.file]);
    throw error;
  }
  if (result.duplicate && written) await removeMaskFiles(ws.root, [written.file]);
  if (replacedFile) await removeMaskFiles(ws.root, [replacedFile]);
  return result;
}

export function writeBoxes(db: Database.Database, taskId: number, imageId: number, boxes: readonly BoxLabel[]): void {
  db.prepare('DELETE FROM boxes WHERE task_id = ? AND image_id = ?').run(taskId, imageId);
  const insert = db.prepare(
    'INSERT INTO boxes (task_id, image_id, class_id, position, x1, y1, x2, y2) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  boxes.forEach((b, position) => insert.run(taskId, imageId, b.classId, position, b.x1, b.y1, b.x2, b.y2));
}

/** Points the (task, image) mask row at a new file (or removes it); returns the file it replaced. */
export function replaceMaskRow(
  db: Database.Database,
  taskId: number,
  imageId: number,
  written: (WrittenMask & { width: number; height: number }) | null,
  pixels: ReadonlyMap<number, number>,
): string | null {
  const old = db.prepare('SELECT file FROM masks WHERE task_id = ? AND image_id = ?').pluck().get(taskId, imageId) as
    | string
    | undefined;
  db.prepare('DELETE FROM mask_pixels WHERE task_id = ? AND image_id = ?').run(taskId, imageId);
  if (written) {
    db.prepare(
      `INSERT INTO masks (task_id, image_id, file, width, height, sha256) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (task_id, image_id) DO UPDATE SET file = excluded.file, width = excluded.width, height = excluded.height, sha256 = excluded.sha256`,
    ).run(taskId, imageId, written.file, written.width, written.height, written.sha256);
    const insert = db.prepare('INSERT INTO mask_pixels (task_id, image_id, class_id, pixels) VALUES (?, ?, ?, ?)');
    for (const [classId, n] of pixels) insert.run(taskId, imageId, classId, n);
  } else {
    db.prepare('DELETE FROM masks WHERE task_id = ? AND image_id = ?').run(taskId, imageId);
  }
  return old ?? null;
}

type Validated =
  | { kind: 'classes'; classIds: number[] }
  | { kind: 'boxes'; boxes: BoxLabel[] }
  | { kind: 'mask'; mask: MaskLabel | null; pixels: Map<number, number> };

function validateForTask(task: LabelTask, request: SaveRequest, width: number, height: number): Validated {
  const classIds = new Set(task.classes.map((c) => c.id));
  const unknown = (id: number): LoupeError =>
    new LoupeError(
      'INVALID_REQUEST',
      `Class ${id} is not a class of the task "${task.name}" (it may have been deleted).`,
    );
  switch (task.kind) {
    case 'classification': {
      if (!request.classIds)
        throw new LoupeError('INVALID_REQUEST', `"${task.name}" is a classification task: save classIds.`);
      const ids = [...new Set(request.classIds)];
      for (const id of ids) if (!classIds.has(id)) throw unknown(id);
      if (!task.multiLabel && ids.length > 1)
        throw new LoupeError('INVALID_REQUEST', `"${task.name}" allows one class per image.`);
      return { kind: 'classes', classIds: ids };
    }
    case 'detection': {
      if (!request.boxes) throw new LoupeError('INVALID_REQUEST', `"${task.name}" is a detection task: save boxes.`);
      request.boxes.forEach((box, i) => {
        if (!classIds.has(box.classId)) throw unknown(box.classId);
        const problem = boxProblem(box, width, height);
        if (problem) throw new LoupeError('INVALID_REQUEST', `Box ${i + 1} ${problem}.`);
      });
      return { kind: 'boxes', boxes: request.boxes };
    }
    case 'segmentation': {
      if (request.mask === undefined)
        throw new LoupeError('INVALID_REQUEST', `"${task.name}" is a segmentation task: save a mask.`);
      if (request.mask === null) return { kind: 'mask', mask: null, pixels: new Map() };
      return { kind: 'mask', mask: request.mask, pixels: maskPixelsByClass(task, request.mask, width, height) };
    }
    case 'verification':
      throw new LoupeError(
        'INVALID_REQUEST',
        `"${task.name}" is a verification task: its pairs are saved with labels.addPair.`,
      );
  }
}

/** Pixel counts per class id; refuses a mask of the wrong size or with values that are no class. */
export function maskPixelsByClass(
  task: LabelTask,
  mask: MaskLabel,
  width: number,
  height: number,
): Map<number, number> {
  if (mask.width !== width || mask.height !== height) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `The mask is ${mask.width}×${mask.height} but the image is ${width}×${height}; masks are kept at source resolution.`,
    );
  }
  const byIndex = new Map(task.classes.map((c) => [c.maskIndex, c.id]));
  const histogram = maskHistogram(mask.data);
  const pixels = new Map<number, number>();
  for (let value = 1; value < 256; value++) {
    const n = histogram[value]!;
    if (n === 0) continue;
    const classId = byIndex.get(value);
    if (classId === undefined)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The mask has ${n} pixels of value ${value}, which is no class of "${task.name}".`,
      );
    pixels.set(classId, n);
  }
  return pixels;
}

export function assignClasses(
  db: Database.Database,
  request: ParsedRequestOf<'labels.assign'>,
): ReplyOf<'labels.assign'> {
  const task = requireTask(db, request.taskId);
  if (task.kind !== 'classification')
    throw new LoupeError(
      'INVALID_REQUEST',
      `"${task.name}" is not a classification task; bulk class tags apply to classification only.`,
    );
  const { classId, mode } = request;
  if (classId !== undefined && !task.classes.some((c) => c.id === classId)) {
    throw new LoupeError('INVALID_REQUEST', `Class ${classId} is not a class of the task "${task.name}".`);
  }
  const imageIds = [...new Set(request.imageIds)];
  const missing = missingImageIds(db, imageIds);
  if (missing.length)
    throw new LoupeError(
      'NOT_FOUND',
      `${missing.length} of the selected images are no longer in the workspace (e.g. ${missing[0]}).`,
    );
  const tagsOf = db.prepare('SELECT class_id FROM class_tags WHERE task_id = ? AND image_id = ?').pluck();
  const insert = db.prepare('INSERT OR IGNORE INTO class_tags (task_id, image_id, class_id) VALUES (?, ?, ?)');
  const removeOne = db.prepare('DELETE FROM class_tags WHERE task_id = ? AND image_id = ? AND class_id = ?');
  const removeAll = db.prepare('DELETE FROM class_tags WHERE task_id = ? AND image_id = ?');
  return db.transaction(() => {
    const revisions = imageIds.map((imageId) => {
      const tags = new Set(tagsOf.all(task.id, imageId) as number[]);
      let changed = false;
      if (mode === 'clear' || (mode === 'set' && !(tags.size === 1 && tags.has(classId!)))) {
        changed = tags.size > 0 || mode === 'set';
        removeAll.run(task.id, imageId);
        if (mode === 'set') insert.run(task.id, imageId, classId);
      } else if (mode === 'add' && !tags.has(classId!)) {
        // A single-label task has room for one class: adding replaces.
        if (!task.multiLabel) removeAll.run(task.id, imageId);
        insert.run(task.id, imageId, classId);
        changed = true;
      } else if (mode === 'remove' && tags.has(classId!)) {
        removeOne.run(task.id, imageId, classId);
        changed = true;
      }
      const revision = changed
        ? bumpRevision(db, task.id, imageId, request.origin ?? null)
        : currentRevision(db, task.id, imageId).revision;
      return { imageId, revision };
    });
    return { revisions };
  })();
}

export function summarizeLabels(db: Database.Database, taskId: number): ImageLabelSummary[] {
  const task = requireTask(db, taskId);
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, COALESCE(r.revision, 0) AS revision, s.split AS split,
              (SELECT COUNT(*) FROM boxes b WHERE b.task_id = @id AND b.image_id = i.id) AS boxes,
              EXISTS (SELECT 1 FROM masks m WHERE m.task_id = @id AND m.image_id = i.id) AS hasMask
       FROM images i
       LEFT JOIN label_revisions r ON r.task_id = @id AND r.image_id = i.id
       LEFT JOIN split_assignments s ON s.task_id = @id AND s.image_id = i.id
       ORDER BY i.id`,
    )
    .all({ id: taskId }) as {
    imageId: number;
    revision: number;
    split: ImageLabelSummary['split'];
    boxes: number;
    hasMask: number;
  }[];
  // Paired images in one pass (a per-image EXISTS over image_a OR image_b would scan every pair per image).
  const paired = new Set(
    task.kind === 'verification'
      ? (db
          .prepare('SELECT image_a FROM pairs WHERE task_id = @id UNION SELECT image_b FROM pairs WHERE task_id = @id')
          .pluck()
          .all({ id: taskId }) as number[])
      : [],
  );
  const classSql = {
    classification: 'SELECT image_id, class_id FROM class_tags WHERE task_id = ?',
    detection: 'SELECT DISTINCT image_id, class_id FROM boxes WHERE task_id = ?',
    segmentation: 'SELECT image_id, class_id FROM mask_pixels WHERE task_id = ?',
    verification: null,
  }[task.kind];
  const classes = new Map<number, number[]>();
  if (classSql) {
    for (const { image_id, class_id } of db.prepare(classSql).all(taskId) as { image_id: number; class_id: number }[]) {
      const list = classes.get(image_id);
      if (list) list.push(class_id);
      else classes.set(image_id, [class_id]);
    }
  }
  return rows.map((row) => {
    const classIds = (classes.get(row.imageId) ?? []).sort((a, b) => a - b);
    // Detection: an image saved with no boxes was looked at and has no objects — labeled, a negative.
    const labeled =
      task.kind === 'classification'
        ? classIds.length > 0
        : task.kind === 'detection'
          ? row.revision > 0
          : task.kind === 'segmentation'
            ? row.hasMask === 1
            : paired.has(row.imageId);
    return {
      imageId: row.imageId,
      revision: row.revision,
      classIds,
      boxes: row.boxes,
      labeled,
      split: row.split ?? null,
    };
  });
}
