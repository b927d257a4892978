/**
 * Evaluation that cannot be inflated by training images (issue 15, item 12). A verifier trained on
 * part views split by part; then the task is split again another way. By default an evaluation
 * scores the split the run trained with (its snapshot), whatever the task's split is now. Asked
 * for the current split, it leaves out (and counts) the images the run trained on, and counts the
 * scored images that share a split group with a trained image. Expected counts come from the
 * run's own record and the view each image is, not from the code under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';
import { identityWorkspace } from '../helpers/workspace-models';

const VIEWS = 4;
const PARTS = { identities: 8, viewsPerIdentity: VIEWS, seed: 5, fractions: { train: 0.5, val: 0.25, test: 0.25 } };

describe('evaluation split source and leakage', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let taskId: number;
  let runId: string;
  /** The run's snapshot: image ids per split. */
  let trained: { train: Set<number>; test: Set<number> };
  /** Image id → which view of its part it is (0…VIEWS−1). */
  const viewOf = new Map<number, number>();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-leakage-'));
    await call('workspace.open', { path: path.join(dir, 'ws'), create: true });
    const made = await identityWorkspace(call, path.join(dir, 'parts'), PARTS);
    taskId = made.task.id;
    made.parts.forEach((ids) => ids.forEach((id, view) => viewOf.set(id, view)));
    const defaults = await call('training.defaults', { taskId, kind: 'verification' });
    const run = await call('training.start', {
      taskId,
      kind: 'verification',
      config: { ...defaults.config, epochs: 1 },
    });
    expect((await call('training.watch', { runId: run.runId })).state).toBe('completed');
    runId = run.runId;
    const splits = (await call('training.run', { runId })).record!.dataset.splits;
    trained = { train: new Set(splits.train.map(Number)), test: new Set(splits.test.map(Number)) };
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const scored = (reply: { predictions: { imageId: number }[] }): number[] =>
    reply.predictions.map((p) => p.imageId).sort((a, b) => a - b);

  it("scores the split the run trained with by default, and it has no trained image's group", async () => {
    const reply = await call('training.evaluate', { runId, split: 'test' });
    expect(scored(reply)).toEqual([...trained.test].sort((a, b) => a - b));
    expect(reply.leakage).toEqual({
      splitSource: 'run',
      trainedOnLeftOut: 0,
      noLongerInDataset: 0,
      sameGroupAsTrained: 0,
      warnings: [],
    });
  });

  it('asked for the current split, leaves out the images the run trained on and counts shared groups', async () => {
    // Grouped by view now: each view of every part is one group, so trained images sit in every group.
    await call('labels.assignSplits', {
      taskId,
      fractions: { train: 0.5, val: 0.25, test: 0.25 },
      groupBy: { kind: 'filename', pattern: '-view(\\d+)\\.png$' },
      seed: 9,
    });
    const now = (await call('labels.summary', { taskId })).images;
    const currentTest = now.filter((i) => i.split === 'test').map((i) => i.imageId);
    const leftOut = currentTest.filter((id) => trained.train.has(id));
    const kept = currentTest.filter((id) => !trained.train.has(id)).sort((a, b) => a - b);
    const trainedViews = new Set([...trained.train].map((id) => viewOf.get(id)));
    const sharing = kept.filter((id) => trainedViews.has(viewOf.get(id))).length;
    expect(leftOut.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);

    const reply = await call('training.evaluate', { runId, split: 'test', splitSource: 'current' });
    expect(scored(reply)).toEqual(kept);
    expect(reply.report.count).toBe(kept.length);
    expect(reply.leakage).toMatchObject({
      splitSource: 'current',
      trainedOnLeftOut: leftOut.length,
      noLongerInDataset: 0,
      sameGroupAsTrained: sharing,
    });
    expect(reply.leakage.warnings[0]).toMatch(new RegExp(`^${leftOut.length} images? of the current test split w`));
    expect(reply.leakage.warnings.at(-1)).toMatch(/share a patient or a split group with images the run trained on/);
    // Every scored pair is between two scored images.
    const ids = new Set(kept);
    for (const pair of reply.pairs!) expect(ids.has(pair.imageA) && ids.has(pair.imageB)).toBe(true);

    // The default still scores the run's own test split, whatever the task's split is now.
    const own = await call('training.evaluate', { runId, split: 'test' });
    expect(scored(own)).toEqual([...trained.test].sort((a, b) => a - b));
  });

  it("counts images of the run's split that are no longer labelled", async () => {
    const [gone] = [...trained.test];
    await call('labels.assign', { taskId, imageIds: [gone!], mode: 'clear' });
    const reply = await call('training.evaluate', { runId, split: 'test' });
    expect(reply.leakage.noLongerInDataset).toBe(1);
    expect(scored(reply)).not.toContain(gone);
    expect(
      reply.leakage.warnings.some((w) => /^1 image of the run's test split is no longer in the task's dataset/.test(w)),
    ).toBe(true);
  });
});
