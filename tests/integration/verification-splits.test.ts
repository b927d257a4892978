/**
 * Verification splits that cannot fool anyone (issue 15, item 11). Part views whose classes are
 * part serials, split grouped by part: with few parts a split can hold a single identity, and
 * then every pair formed inside it is genuine. Before this check the run trained silently, its
 * validation EER was simply absent (no monitor, best = latest) and the test "accuracy" was the
 * TAR of genuine pairs alone. Now: a train split without both kinds of pair is refused before
 * training, a val or test split without them is named in a warning with its identity count, and
 * an EER is reported only from genuine and impostor pairs, equal to scikit-learn's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPythonReference } from '../reference/run-python-reference';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';
import { identityWorkspace } from '../helpers/workspace-models';

/** A finished run with a model, not a good one. */
const EPOCHS = 1;
/** Four parts of four views at 0.5/0.25/0.25: two parts train, one validates, one tests. */
const FEW_PARTS = { identities: 4, viewsPerIdentity: 4, seed: 3, fractions: { train: 0.5, val: 0.25, test: 0.25 } };

describe('verification splits and their pairs', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let taskId: number;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-verification-splits-'));
    await call('workspace.open', { path: path.join(dir, 'ws'), create: true });
    taskId = (await identityWorkspace(call, path.join(dir, 'parts'), FEW_PARTS)).task.id;
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names, before training, each split with no impostor pairs and how many identities it holds', async () => {
    const { dataset } = await call('training.defaults', { taskId, kind: 'verification' });
    const report = dataset.verification!;
    expect(report.identities).toEqual({ train: 2, val: 1, test: 1 });
    // Pairs are formed inside each split from its own images: 4 views of one part give 6 genuine pairs.
    expect(report.splitPairs).toEqual([
      { split: 'train', identities: 2, images: 8, genuine: 12, impostor: 16 },
      { split: 'val', identities: 1, images: 4, genuine: 6, impostor: 0 },
      { split: 'test', identities: 1, images: 4, genuine: 6, impostor: 0 },
    ]);
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings[0]).toMatch(
      /^The val split has 6 genuine pairs and 0 impostor pairs \(4 images of 1 identity\)/,
    );
    expect(report.warnings[1]).toMatch(/^The test split .* no EER can be measured on it/);
  });

  it('reports no EER and no accuracy from genuine pairs alone', async () => {
    const defaults = await call('training.defaults', { taskId, kind: 'verification' });
    const run = await call('training.start', {
      taskId,
      kind: 'verification',
      config: { ...defaults.config, epochs: EPOCHS },
    });
    const finished = await call('training.watch', { runId: run.runId });
    expect(finished.state, finished.error ?? '').toBe('completed');
    expect(finished.test).toBeNull();
    const { report } = await call('training.evaluate', { runId: run.runId, split: 'test' });
    if (report.task !== 'verification') throw new Error('expected a verification report');
    expect(report).toMatchObject({ genuinePairs: 6, impostorPairs: 0, eer: null, auc: null });
    expect(report.decision.accuracy).toBeNull();
  });

  it('refuses to train when the train split holds a single identity', async () => {
    await call('labels.assignSplits', {
      taskId,
      fractions: { train: 0.25, val: 0, test: 0.75 },
      groupBy: { kind: 'filename', pattern: '^(part\\d+)-' },
      seed: 1,
    });
    const defaults = await call('training.defaults', { taskId, kind: 'verification' });
    expect(defaults.dataset.verification!.identities!.train).toBe(1);
    await expect(
      call('training.start', { taskId, kind: 'verification', config: { ...defaults.config, epochs: EPOCHS } }),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/train split has 6 genuine pairs and 0 impostor pairs \(4 images of 1 identity\)/),
    });
  });

  it("scores the test split's genuine and impostor pairs with scikit-learn's EER", async () => {
    await call('labels.assignSplits', {
      taskId,
      fractions: { train: 0.5, val: 0, test: 0.5 },
      groupBy: { kind: 'filename', pattern: '^(part\\d+)-' },
      seed: 1,
    });
    const defaults = await call('training.defaults', { taskId, kind: 'verification' });
    expect(defaults.dataset.verification!.warnings).toEqual([]);
    const run = await call('training.start', {
      taskId,
      kind: 'verification',
      config: { ...defaults.config, epochs: EPOCHS },
    });
    expect((await call('training.watch', { runId: run.runId })).state).toBe('completed');
    const evaluation = await call('training.evaluate', { runId: run.runId, split: 'test' });
    if (evaluation.report.task !== 'verification') throw new Error('expected a verification report');
    const pairs = evaluation.pairs!;
    expect(evaluation.report).toMatchObject({ genuinePairs: 12, impostorPairs: 16 });
    const reference = runPythonReference<{ results: { eer: number; auc: number }[] }>('sklearn_verification.py', {
      cases: [{ scores: pairs.map((p) => p.score), labels: pairs.map((p) => (p.truth ? 1 : 0)), far: 0.01 }],
    }).results[0]!;
    expect(evaluation.report.eer).toBeCloseTo(reference.eer, 9);
    expect(evaluation.report.auc).toBeCloseTo(reference.auc, 9);
  });
});
