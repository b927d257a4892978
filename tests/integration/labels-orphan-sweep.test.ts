/**
 * The orphan sweep: mask files no label refers to (left by a save that crashed half-way) and
 * temp files are removed once old enough; young ones may belong to a save in flight and stay.
 */
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORPHAN_GRACE_MS, sweepOrphanMasks } from '../../main/services/labels/mask-files';
import { labelsWorkspace } from '../helpers/labels-services';
import { H, W, maskWith } from './labels-edits-cases';

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;

beforeAll(async () => {
  ctx = await labelsWorkspace([{ name: 'scan-0.png', width: W, height: H }]);
});
afterAll(() => ctx.dispose());

describe('orphan sweep', () => {
  it('removes old unreferenced mask files and temp files, and leaves young ones to a save in flight', async () => {
    // A mask a label refers to, which the sweep must leave however old it is.
    const seg = await ctx.call('labels.createTask', {
      name: 'Lesions',
      kind: 'segmentation',
      classes: [{ name: 'a' }],
    });
    await ctx.call('labels.save', {
      taskId: seg.id,
      imageId: ctx.ids[0]!,
      saveId: 'm1',
      baseRevision: 0,
      mask: { width: W, height: H, data: maskWith([[0, 0, 4, 4, 1]]) },
    });
    const referenced = new Set(ctx.db().prepare('SELECT file FROM masks').pluck().all() as string[]);
    expect(referenced.size).toBe(1);
    const dir = path.join(ctx.workspace, 'masks', 'task-99');
    mkdirSync(dir, { recursive: true });
    for (const name of [
      'image-1-aaaaaaaaaaaa.png',
      '.image-1-bbbbbbbbbbbb.png.0123456789ab.tmp',
      'image-2-cccccccccccc.png',
    ])
      writeFileSync(path.join(dir, name), 'x');
    const old = (Date.now() - ORPHAN_GRACE_MS - 60_000) / 1000;
    utimesSync(path.join(dir, 'image-1-aaaaaaaaaaaa.png'), old, old);
    utimesSync(path.join(dir, '.image-1-bbbbbbbbbbbb.png.0123456789ab.tmp'), old, old);
    for (const file of referenced) utimesSync(path.join(ctx.workspace, file), old, old);
    expect(await sweepOrphanMasks(ctx.workspace, referenced)).toBe(2);
    expect(readdirSync(dir)).toEqual(['image-2-cccccccccccc.png']);
    for (const file of referenced) expect(existsSync(path.join(ctx.workspace, file))).toBe(true);
  });
});
