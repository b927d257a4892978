/**
 * Pre-label and "Label next" through the real services and engine, on a tiny classification run
 * (tests/helpers/review-workspace.ts): tags proposed for a second, unlabeled task with the same
 * classes are drafts (nothing is saved until a person saves one), the ranking of the unlabeled
 * images equals NumPy/SciPy's entropy and margin orderings of the same probabilities, the diverse
 * list equals a reference greedy k-center over the model's penultimate-layer embeddings, and runs of the wrong task or classes are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prelabelOrigin, prelabelRunOf, type ProposedTag } from '../../contract/index';
import { PrelabelService } from '../../main/services/training/prelabel';
import { completedModel, engineFrame } from '../../main/services/training/run-model';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { realServices } from '../helpers/services';
import { runPythonReference } from '../reference/run-python-reference';

interface Reference {
  entropy: number[];
  byEntropy: number[];
  byMargin: number[];
  kCenter: number[];
  kCenterNearest: (number | null)[];
}

const LIMIT = 5;
/** As in main/services/training/prelabel.ts: diversity picks among this many times the limit. */
const DIVERSITY_POOL_FACTOR = 4;

describe('pre-label and label next', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let setup: ReviewWorkspace;
  /** A second task with the run's classes and no labels at all. */
  let fresh: number;
  let imageIds: number[];
  let tags: ProposedTag[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-prelabel-'));
    await call('workspace.open', { path: path.join(dir, 'ws'), create: true });
    setup = await reviewWorkspace(call, dir);
    const task = await call('labels.createTask', {
      name: 'Second reader',
      kind: 'classification',
      classes: [{ name: 'Lesion' }, { name: 'normal' }],
    });
    fresh = task.id;
    imageIds = [...setup.scans.imageIds.values()].sort((a, b) => a - b);
  }, 600_000);
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("proposes each image's most probable class as the task's class, and saves nothing", async () => {
    const task = (await call('labels.tasks', {})).tasks.find((t) => t.id === fresh)!;
    ({ tags } = await call('models.proposeTags', { runId: setup.runId, taskId: fresh, imageIds }));
    expect(tags.map((t) => t.imageId)).toEqual(imageIds);
    for (const tag of tags) {
      expect(tag.probabilities).toHaveLength(2);
      expect(tag.probabilities.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 5);
      expect(tag.probability).toBe(Math.max(...tag.probabilities.map((p) => p.probability)));
      expect(tag.classId).toBe(tag.probabilities[0]!.classId);
      expect(task.classes.map((c) => c.id)).toContain(tag.classId);
    }
    const { images } = await call('labels.summary', { taskId: fresh });
    expect(images.filter((i) => i.labeled)).toEqual([]);
    const labels = await call('labels.get', { taskId: fresh, imageId: imageIds[0]! });
    expect(labels).toMatchObject({ revision: 0, classIds: [] });
  });

  it('ranks the unlabeled images as NumPy and SciPy do on the same probabilities', async () => {
    // Probabilities in the model's class order (normal, lesion), as the reference reads them.
    const normal = (await call('labels.tasks', {})).tasks
      .find((t) => t.id === fresh)!
      .classes.find((c) => c.name === 'normal')!.id;
    const probabilities = tags.map((t) => {
      const pNormal = t.probabilities.find((p) => p.classId === normal)!.probability;
      return [pNormal, 1 - pNormal];
    });
    const byEntropy = runPythonReference<Reference>('uncertainty_reference.py', {
      probabilities,
      k: 1,
      pool: [0],
      logits: [[0, 0]],
    });
    const entropy = await call('models.labelNext', { runId: setup.runId, taskId: fresh, limit: LIMIT });
    expect(entropy).toMatchObject({ measure: 'entropy', diversitySpace: null, considered: imageIds.length });
    expect(entropy.picks.map((p) => p.imageId)).toEqual(byEntropy.byEntropy.slice(0, LIMIT).map((i) => imageIds[i]));
    entropy.picks.forEach((p) => {
      expect(p.entropy).toBeCloseTo(byEntropy.entropy[imageIds.indexOf(p.imageId)]!, 5);
      expect(p.reason).toMatch(/^entropy \d\.\d\d — the model (is split between|leans to) /);
    });
    const margin = await call('models.labelNext', {
      runId: setup.runId,
      taskId: fresh,
      limit: LIMIT,
      measure: 'margin',
    });
    expect(margin.picks.map((p) => p.imageId)).toEqual(byEntropy.byMargin.slice(0, LIMIT).map((i) => imageIds[i]));

    // The spread runs over the model's penultimate-layer embeddings, as the engine's predict gives them.
    const { modelDir } = await completedModel(services.workspaces.require(), setup.runId, 'classification');
    const frames = await Promise.all(imageIds.map((id) => engineFrame(services.imaging, id)));
    const { embeddings } = await services.engine.call('predict', { modelDir, frames, embeddings: true });
    const pool = byEntropy.byEntropy.slice(0, LIMIT * DIVERSITY_POOL_FACTOR);
    const spread = runPythonReference<Reference>('uncertainty_reference.py', {
      probabilities,
      points: embeddings!.map((e) => Array.from(e)),
      k: LIMIT,
      pool,
      logits: [[0, 0]],
    });
    const diverse = await call('models.labelNext', {
      runId: setup.runId,
      taskId: fresh,
      limit: LIMIT,
      diversity: true,
    });
    expect(diverse.diversitySpace).toBe('penultimate-layer embeddings');
    expect(diverse.picks.map((p) => p.imageId)).toEqual(spread.kCenter.map((i) => imageIds[i]));
    expect(diverse.picks.map((p) => p.nearestImageId)).toEqual(
      spread.kCenterNearest.map((i) => (i === null ? null : imageIds[i])),
    );
    expect(diverse.picks[0]!.distance).toBeNull();
    expect(diverse.picks[1]!.reason).toMatch(/; embedding \d+\.\d\d from the nearest earlier pick, \S+$/);
  });

  it('lists only images the task has no label for', async () => {
    const [first] = imageIds;
    const tag = tags.find((t) => t.imageId === first)!;
    await call('labels.assign', {
      taskId: fresh,
      imageIds: [first!],
      mode: 'set',
      classId: tag.classId,
      origin: prelabelOrigin(setup.runId),
    });
    // The accepted tag records the run it came from (the label tables have no origin column).
    const saveId = services.workspaces
      .require()
      .db.prepare('SELECT save_id FROM label_revisions WHERE task_id = ? AND image_id = ?')
      .pluck()
      .get(fresh, first) as string;
    expect(prelabelRunOf(saveId)).toBe(setup.runId);
    const next = await call('models.labelNext', { runId: setup.runId, taskId: fresh, limit: 500 });
    expect(next.considered).toBe(imageIds.length - 1);
    expect(next.picks.map((p) => p.imageId)).not.toContain(first);
  });

  it('reports progress over a large set and stops when cancelled', async () => {
    const prelabel = new PrelabelService(services.workspaces, services.imaging, services.engine);
    const request = { runId: setup.runId, taskId: fresh, measure: 'entropy' as const, diversity: false, limit: 5 };
    const seen: [number, number][] = [];
    await prelabel.labelNext(request, new AbortController().signal, (done, total) => seen.push([done, total]));
    const total = imageIds.length - 1;
    expect(seen[0]).toEqual([0, total]);
    expect(seen.at(-1)).toEqual([total, total]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0]);

    const controller = new AbortController();
    const cancelled = prelabel.labelNext(request, controller.signal, (done) => done > 0 || controller.abort());
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('refuses a run whose classes the task lacks, and the wrong kind of task', async () => {
    const other = await call('labels.createTask', {
      name: 'Pets',
      kind: 'classification',
      classes: [{ name: 'cat' }, { name: 'normal' }],
    });
    await expect(
      call('models.proposeTags', { runId: setup.runId, taskId: other.id, imageIds: imageIds.slice(0, 2) }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/“lesion”.*no class for/) });
    await expect(
      call('models.proposeMask', { runId: setup.runId, taskId: fresh, imageId: imageIds[0]! }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/classification task/) });
  });
});
