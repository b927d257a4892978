/**
 * Pruning and distillation as a user reaches them through training.start: a distillation run
 * names a completed run of the workspace as its teacher (resolved to its model folder, recorded
 * with the teacher's test metrics beside its own), pruning records sparsity per epoch; a teacher
 * that is unknown or not a classifier, or distillation of another kind, is refused before a run exists.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, RunSummary, TrainingConfig } from '../../contract/index';
import { caller } from '../helpers/labels';
import { importScans, labelClassification, labelSegmentation } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';

describe('pruning and distillation runs', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let workspace: string;
  let taskId: number;
  let outlineTaskId: number;
  let config: TrainingConfig;
  let teacherRun: string;

  const record = (runId: string) =>
    JSON.parse(readFileSync(path.join(workspace, 'runs', runId, 'run.json'), 'utf8')) as RunRecord;
  const finish = (runId: string): Promise<RunSummary> => call('training.watch', { runId });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-compression-'));
    workspace = path.join(dir, 'ws');
    await call('workspace.open', { path: workspace, create: true });
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 48, size: 24, seed: 9 });
    taskId = await labelClassification(call, scans);
    outlineTaskId = await labelSegmentation(call, scans);
    config = {
      ...(await call('training.defaults', { taskId })).config,
      epochs: 2,
      batchSize: 8,
      model: { architecture: 'small-cnn', filters: [8, 16] },
    };
    const teacher = await call('training.start', { taskId, config });
    expect(await finish(teacher.runId)).toMatchObject({ state: 'completed' });
    teacherRun = teacher.runId;
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('distils a pruned student from a completed run, recording the teacher, its metrics and the sparsity', async () => {
    const run = await call('training.start', {
      taskId,
      config: {
        ...config,
        model: { architecture: 'small-cnn', filters: [4, 8] },
        distill: { teacherRunId: teacherRun, temperature: 3, alpha: 0.6 },
        prune: { targetSparsity: 0.5, initialSparsity: 0, startEpoch: 0, endEpoch: 1, frequency: 1, power: 3 },
      },
    });
    expect(await finish(run.runId)).toMatchObject({ state: 'completed' });
    const student = record(run.runId);
    expect(student.config.distill).toEqual({
      teacherRunId: teacherRun,
      teacherDir: path.join(workspace, 'runs', teacherRun, 'model'),
      temperature: 3,
      alpha: 0.6,
    });
    expect(student.teacher).toEqual({ runId: teacherRun, metrics: record(teacherRun).evaluation });
    expect(student.epochs.map((e) => e.sparsity)).toHaveLength(2);
    expect(Math.abs(student.epochs[1]!.sparsity! - 0.5)).toBeLessThan(0.01);
  });

  it('refuses an unknown teacher and distillation of another kind before a run is created', async () => {
    const before = (await call('training.runs', {})).runs.length;
    await expect(
      call('training.start', {
        taskId,
        config: { ...config, distill: { teacherRunId: 'run-20990101-000000-abcd', temperature: 4, alpha: 0.5 } },
      }),
    ).rejects.toThrow('This workspace has no run run-20990101-000000-abcd.');
    const outline = (await call('training.defaults', { taskId: outlineTaskId })).config;
    await expect(
      call('training.start', {
        taskId: outlineTaskId,
        config: { ...outline, distill: { teacherRunId: teacherRun, temperature: 4, alpha: 0.5 } },
      }),
    ).rejects.toThrow('Distillation is for classification runs; this run trains segmentation.');
    expect((await call('training.runs', {})).runs).toHaveLength(before);
  });
});
