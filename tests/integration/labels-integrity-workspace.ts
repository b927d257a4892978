/** The labelled workspace the integrity tests import into, and its whole state for comparing. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LabelTask } from '../../contract/index';
import { DB_FILE } from '../../main/services/workspace/workspace';
import { labelsWorkspace } from '../helpers/labels-services';

export const W = 32;
export const H = 24;
// '+sum.png' would run as a formula in a spreadsheet if its name were written as it is.
export const NAMES = ['a.png', 'b.png', 'c.png', '+sum.png'];

export interface IntegrityWorkspace {
  ctx: Awaited<ReturnType<typeof labelsWorkspace>>;
  /** Boxes on the first two images, with splits assigned. */
  det: LabelTask;
  /** A class named like a spreadsheet formula, on the image named like one. */
  cls: LabelTask;
}

/** A workspace holding labels of every kind, for the imports to leave alone. */
export async function integrityWorkspace(): Promise<IntegrityWorkspace> {
  const ctx = await labelsWorkspace(NAMES.map((name) => ({ name, width: W, height: H })));
  const det = await ctx.call('labels.createTask', {
    name: 'det',
    kind: 'detection',
    classes: [{ name: 'crack' }, { name: 'dent' }],
  });
  const [crack, dent] = det.classes;
  await ctx.call('labels.save', {
    taskId: det.id,
    imageId: ctx.ids[0]!,
    saveId: 'a',
    baseRevision: 0,
    boxes: [
      { classId: crack!.id, x1: 1, y1: 1, x2: 9, y2: 9 },
      { classId: dent!.id, x1: 10, y1: 2, x2: 20, y2: 12 },
    ],
  });
  await ctx.call('labels.save', {
    taskId: det.id,
    imageId: ctx.ids[1]!,
    saveId: 'b',
    baseRevision: 0,
    boxes: [{ classId: dent!.id, x1: 3, y1: 3, x2: 6, y2: 6 }],
  });
  await ctx.call('labels.assignSplits', {
    taskId: det.id,
    fractions: { train: 0.5, val: 0.5, test: 0 },
    groupBy: { kind: 'image' },
    seed: 3,
  });
  const cls = await ctx.call('labels.createTask', {
    name: 'cls',
    kind: 'classification',
    classes: [{ name: 'normal' }, { name: "=cmd|' /C calc'!A0" }],
  });
  await ctx.call('labels.save', {
    taskId: cls.id,
    imageId: ctx.ids[0]!,
    saveId: 'c',
    baseRevision: 0,
    classIds: [cls.classes[0]!.id],
  });
  await ctx.call('labels.save', {
    taskId: cls.id,
    imageId: ctx.ids[3]!,
    saveId: 'd',
    baseRevision: 0,
    classIds: [cls.classes[1]!.id],
  });
  const seg = await ctx.call('labels.createTask', { name: 'seg', kind: 'segmentation', classes: [{ name: 'lesion' }] });
  await ctx.call('labels.save', {
    taskId: seg.id,
    imageId: ctx.ids[0]!,
    saveId: 'e',
    baseRevision: 0,
    mask: { width: W, height: H, data: new Uint8Array(W * H).fill(1, 0, 40) },
  });
  return { ctx, det, cls };
}

/**
 * The workspace's whole state: every row of every table, the database file itself once the
 * write-ahead log is checkpointed into it (byte for byte), and every file under masks/.
 */
export function workspaceState(ctx: IntegrityWorkspace['ctx']): unknown {
  const db = ctx.db();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const dbFile = createHash('sha256')
    .update(readFileSync(path.join(ctx.workspace, DB_FILE)))
    .digest('hex');
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  const rows = Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).raw().all()]));
  const masks = path.join(ctx.workspace, 'masks');
  const files = readdirSync(masks, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
    .map((full) => [path.relative(masks, full), createHash('sha256').update(readFileSync(full)).digest('hex')]);
  return { rows, dbFile, files };
}
