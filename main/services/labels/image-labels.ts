/**
 * One image's labels in one task: read, and save (whole state, revision-checked, idempotent).
 * What a save must satisfy is in label-validation.ts; bulk class tags in class-tags.ts; the
 * per-image summary the grid filters on in label-summary.ts.
 */
import type Database from 'better-sqlite3';
import {
  LoupeError,
  type BoxLabel,
  type ImageLabels,
  type MaskLabel,
  type ParsedRequestOf,
  type ReplyOf,
} from '../../../contract/index';
import type { Workspace } from '../workspace/workspace';
import { requireImage } from './images';
import { validateForTask } from './label-validation';
import { readMaskFile, removeMaskFiles, writeMaskFile, type WrittenMask } from './mask-files';
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

export async function getImageLabels(ws: Workspace, taskId: number, imageId: number, frame = 0): Promise<ImageLabels> {
  const db = ws.db;
  requireTask(db, taskId);
  const image = requireImage(db, imageId);
  requireFrame(image, frame);
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
        .prepare('SELECT file, sha256, width, height FROM masks WHERE task_id = ? AND image_id = ? AND frame = ?')
        .get(taskId, imageId, frame) as MaskRow | undefined,
      maskFrames: db
        .prepare('SELECT frame FROM masks WHERE task_id = ? AND image_id = ? ORDER BY frame')
        .pluck()
        .all(taskId, imageId) as number[],
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
      frame,
      maskFrames: snapshot.maskFrames,
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
  const frame = request.frame ?? 0;
  requireFrame(image, frame);
  const before = currentRevision(db, taskId, imageId);
  // A retry of a save that already landed (its reply was lost): answer it, change nothing.
  if (before.saveId === saveId) return { revision: before.revision, duplicate: true, savedAt: nowIso() };
  if (before.revision !== baseRevision) throw conflict(before.revision, baseRevision);

  const apply = validateForTask(task, request, image.width, image.height);
  let written: WrittenMask | null = null;
  if (apply.kind === 'mask' && apply.mask) written = await writeMaskFile(ws.root, taskId, imageId, apply.mask, frame);
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
          { taskId, imageId, frame },
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

/** Which mask: a task's mask of one frame of one image. */
export interface MaskKey {
  taskId: number;
  imageId: number;
  frame: number;
}

/** Points the (task, image, frame) mask row at a new file (or removes it); returns the file it replaced. */
export function replaceMaskRow(
  db: Database.Database,
  { taskId, imageId, frame }: MaskKey,
  written: (WrittenMask & { width: number; height: number }) | null,
  pixels: ReadonlyMap<number, number>,
): string | null {
  const key = [taskId, imageId, frame] as const;
  const where = 'task_id = ? AND image_id = ? AND frame = ?';
  const old = db
    .prepare(`SELECT file FROM masks WHERE ${where}`)
    .pluck()
    .get(...key) as string | undefined;
  db.prepare(`DELETE FROM mask_pixels WHERE ${where}`).run(...key);
  if (written) {
    db.prepare(
      `INSERT INTO masks (task_id, image_id, frame, file, width, height, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (task_id, image_id, frame) DO UPDATE SET file = excluded.file, width = excluded.width, height = excluded.height, sha256 = excluded.sha256`,
    ).run(...key, written.file, written.width, written.height, written.sha256);
    const insert = db.prepare(
      'INSERT INTO mask_pixels (task_id, image_id, frame, class_id, pixels) VALUES (?, ?, ?, ?, ?)',
    );
    for (const [classId, n] of pixels) insert.run(...key, classId, n);
  } else {
    db.prepare(`DELETE FROM masks WHERE ${where}`).run(...key);
  }
  return old ?? null;
}

/** Refuses a frame index the image does not have. */
function requireFrame(image: { frames: number }, frame: number): void {
  if (frame >= image.frames)
    throw new LoupeError(
      'INVALID_REQUEST',
      `This image has ${image.frames} frame${image.frames === 1 ? '' : 's'} (0 to ${image.frames - 1}); there is no frame ${frame}.`,
    );
}
