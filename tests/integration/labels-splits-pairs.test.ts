import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelTask } from '../../contract/index';
import { addTestImages } from '../helpers/labels';
import { labelsWorkspace } from '../helpers/labels-services';

let ctx: Awaited<ReturnType<typeof labelsWorkspace>>;
let cls: LabelTask;

// 24 patients, 2–3 images each; industrial part ids in the file names; a metadata field per site.
const IMAGES = Array.from({ length: 24 }, (_, p) =>
  Array.from({ length: 2 + (p % 2) }, (_, k) => ({
    name: `p${p}/part-${String(p % 8).padStart(3, '0')}_shot${k}.png`,
    width: 8,
    height: 8,
    patientId: `P${p}`,
    metadata: { Site: `site-${p % 5}` },
  })),
).flat();

beforeAll(async () => {
  ctx = await labelsWorkspace(IMAGES);
  cls = await ctx.call('labels.createTask', {
    name: 'cls',
    kind: 'classification',
    classes: [{ name: 'benign' }, { name: 'malignant' }],
  });
  // Malignant: every fourth patient (all their images). Three images stay unlabeled.
  const patientOf = (i: number): number => Number(/^p(\d+)\//.exec(IMAGES[i]!.name)![1]);
  const malignant = ctx.ids.filter((_, i) => patientOf(i) % 4 === 0);
  const benign = ctx.ids.filter((_, i) => patientOf(i) % 4 !== 0).slice(3);
  await ctx.call('labels.assign', { taskId: cls.id, imageIds: malignant, mode: 'set', classId: cls.classes[1]!.id });
  await ctx.call('labels.assign', { taskId: cls.id, imageIds: benign, mode: 'set', classId: cls.classes[0]!.id });
});
afterAll(() => ctx.dispose());

function splitsByGroup(
  key: (image: (typeof IMAGES)[number]) => string,
  summary: { imageId: number; split: string | null }[],
): Map<string, Set<string>> {
  const byId = new Map(ctx.ids.map((id, i) => [id, IMAGES[i]!]));
  const groups = new Map<string, Set<string>>();
  for (const s of summary) {
    const k = key(byId.get(s.imageId)!);
    groups.set(k, (groups.get(k) ?? new Set()).add(s.split!));
  }
  return groups;
}

describe('splits', () => {
  it('groups by patient, stratifies, and counts per class per split', async () => {
    const result = await ctx.call('labels.assignSplits', {
      taskId: cls.id,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      groupBy: { kind: 'patient' },
      seed: 7,
    });
    expect(result).toMatchObject({ unassigned: 0, ungrouped: 0, newlyAssigned: IMAGES.length });
    const summary = (await ctx.call('labels.summary', { taskId: cls.id })).images;
    for (const splits of splitsByGroup((i) => i.patientId!, summary).values()) expect(splits.size).toBe(1);
    const malignant = result.splits.map((s) => s.classes.find((c) => c.classId === cls.classes[1]!.id)?.images ?? 0);
    expect(malignant.every((n) => n > 0)).toBe(true);
    expect(result.splits.reduce((n, s) => n + s.images, 0)).toBe(IMAGES.length);
    expect(result.splits.reduce((n, s) => n + s.unlabeled, 0)).toBe(3);
    expect(result.splits.reduce((n, s) => n + s.groups, 0)).toBe(24);
    expect(await ctx.call('labels.splitCounts', { taskId: cls.id })).toMatchObject({
      splits: result.splits,
      settings: { seed: 7, locked: false },
    });
  });

  it('groups by a file-name pattern or a metadata field', async () => {
    await ctx.call('labels.assignSplits', {
      taskId: cls.id,
      fractions: { train: 0.6, val: 0.2, test: 0.2 },
      groupBy: { kind: 'filename', pattern: 'part-(\\d+)_' },
      seed: 1,
    });
    let summary = (await ctx.call('labels.summary', { taskId: cls.id })).images;
    const parts = splitsByGroup((i) => /part-(\d+)/.exec(i.name)![1]!, summary);
    expect(parts.size).toBe(8);
    for (const splits of parts.values()) expect(splits.size).toBe(1);
    await ctx.call('labels.assignSplits', {
      taskId: cls.id,
      fractions: { train: 0.6, val: 0.2, test: 0.2 },
      groupBy: { kind: 'metadata', field: 'site' },
      seed: 1,
    });
    summary = (await ctx.call('labels.summary', { taskId: cls.id })).images;
    for (const splits of splitsByGroup((i) => String(i.metadata!.Site), summary).values()) expect(splits.size).toBe(1);
    await expect(
      ctx.call('labels.assignSplits', {
        taskId: cls.id,
        fractions: { train: 0.6, val: 0.2, test: 0.2 },
        groupBy: { kind: 'filename', pattern: '(' },
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: /not a valid regular expression/,
    });
    await expect(
      ctx.call('labels.assignSplits', { taskId: cls.id, fractions: { train: 0.6, val: 0.2, test: 0.3 } }),
    ).rejects.toMatchObject({ message: /add up to 1/ });
  });

  it('keeps a locked split when new images arrive, placing only the new ones', async () => {
    await ctx.call('labels.assignSplits', {
      taskId: cls.id,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      seed: 3,
    });
    await ctx.call('labels.lockSplits', { taskId: cls.id, locked: true });
    const before = new Map(
      (await ctx.call('labels.summary', { taskId: cls.id })).images.map((s) => [s.imageId, s.split]),
    );
    const [known, stranger] = await addTestImages(ctx.db(), `${ctx.dir}/more`, [
      { name: 'p0/new.png', width: 8, height: 8, patientId: 'P0' },
      { name: 'p99/new.png', width: 8, height: 8, patientId: 'P99' },
    ]);
    await expect(
      ctx.call('labels.assignSplits', {
        taskId: cls.id,
        fractions: { train: 0.5, val: 0.25, test: 0.25 },
        keepExisting: false,
      }),
    ).rejects.toMatchObject({ message: /locked/ });
    const again = await ctx.call('labels.assignSplits', {
      taskId: cls.id,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      seed: 42,
    });
    expect(again.newlyAssigned).toBe(2);
    const after = new Map(
      (await ctx.call('labels.summary', { taskId: cls.id })).images.map((s) => [s.imageId, s.split]),
    );
    for (const [id, split] of before) expect(after.get(id)).toBe(split);
    expect(after.get(known!)).toBe(before.get(ctx.ids[0]!));
    expect(after.get(stranger!)).not.toBeNull();
  });
});

describe('pairs', () => {
  it('adds, updates, lists and deletes pairs', async () => {
    const ver = await ctx.call('labels.createTask', { name: 'ver', kind: 'verification' });
    const pair = await ctx.call('labels.addPair', {
      taskId: ver.id,
      imageA: ctx.ids[5]!,
      imageB: ctx.ids[1]!,
      same: true,
    });
    expect(pair).toMatchObject({ imageA: ctx.ids[1], imageB: ctx.ids[5], same: true, source: 'manual' });
    const updated = await ctx.call('labels.addPair', {
      taskId: ver.id,
      imageA: ctx.ids[1]!,
      imageB: ctx.ids[5]!,
      same: false,
    });
    expect(updated).toMatchObject({ id: pair.id, same: false });
    await expect(
      ctx.call('labels.addPair', { taskId: ver.id, imageA: ctx.ids[1]!, imageB: ctx.ids[1]!, same: true }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(
      ctx.call('labels.addPair', { taskId: cls.id, imageA: ctx.ids[1]!, imageB: ctx.ids[2]!, same: true }),
    ).rejects.toMatchObject({ message: /verification/ });
    expect((await ctx.call('labels.pairs', { taskId: ver.id })).total).toBe(1);
    const labeled = (await ctx.call('labels.summary', { taskId: ver.id })).images
      .filter((i) => i.labeled)
      .map((i) => i.imageId);
    expect(labeled).toEqual([ctx.ids[1], ctx.ids[5]]);
    expect(await ctx.call('labels.deletePairs', { taskId: ver.id, pairIds: [pair.id] })).toEqual({ deleted: 1 });
    expect((await ctx.call('labels.pairs', { taskId: ver.id })).total).toBe(0);
  });

  it('generates balanced, seeded pairs from class labels without crossing splits', async () => {
    const ver = await ctx.call('labels.createTask', { name: 'ver-gen', kind: 'verification' });
    const made = await ctx.call('labels.generatePairs', { taskId: ver.id, fromTaskId: cls.id, positives: 20, seed: 5 });
    expect(made).toMatchObject({ positives: 20, negatives: 20, alreadyThere: 0 });
    const { pairs } = await ctx.call('labels.pairs', { taskId: ver.id, limit: 100 });
    const summary = new Map((await ctx.call('labels.summary', { taskId: cls.id })).images.map((s) => [s.imageId, s]));
    for (const p of pairs) {
      const [a, b] = [summary.get(p.imageA)!, summary.get(p.imageB)!];
      expect(a.split).toBe(b.split);
      expect(p.same).toBe(a.classIds[0] === b.classIds[0]);
      expect(p.source).toBe('generated');
    }
    const again = await ctx.call('labels.createTask', { name: 'ver-gen-2', kind: 'verification' });
    await ctx.call('labels.generatePairs', { taskId: again.id, fromTaskId: cls.id, positives: 20, seed: 5 });
    const twin = (await ctx.call('labels.pairs', { taskId: again.id, limit: 100 })).pairs;
    expect(twin.map((p) => [p.imageA, p.imageB, p.same])).toEqual(pairs.map((p) => [p.imageA, p.imageB, p.same]));
    const more = await ctx.call('labels.generatePairs', { taskId: ver.id, fromTaskId: cls.id, positives: 20, seed: 5 });
    expect(more.alreadyThere).toBeGreaterThan(0);
  });

  it("forms generated pairs inside the verification task's own splits once it has them", async () => {
    const ver = await ctx.call('labels.createTask', { name: 'ver-own-split', kind: 'verification' });
    // Split by part, not by patient as the classification task is: the two disagree for most images.
    await ctx.call('labels.assignSplits', {
      taskId: ver.id,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      groupBy: { kind: 'filename', pattern: 'part-(\\d+)' },
      seed: 3,
    });
    const made = await ctx.call('labels.generatePairs', { taskId: ver.id, fromTaskId: cls.id, positives: 20, seed: 5 });
    expect(made.negatives).toBeGreaterThan(0);
    const own = new Map((await ctx.call('labels.summary', { taskId: ver.id })).images.map((s) => [s.imageId, s.split]));
    const { pairs } = await ctx.call('labels.pairs', { taskId: ver.id, limit: 100 });
    expect(pairs.length).toBe(made.positives + made.negatives);
    for (const p of pairs) expect(own.get(p.imageA)).toBe(own.get(p.imageB));
  });
});
