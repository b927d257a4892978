/**
 * Fine-tuning as a user reaches it: training.start with `fineTune.from = { kind: 'run', runId }`
 * (the Train form's "Start from" an earlier run) resolves to that run's model folder, records it
 * in run.json, and keeps the frozen layers' weights exactly as the source model had them; wrong
 * sources are refused before a run is created. Then `loupe train --fine-tune-from` with a model
 * folder, and its one-line refusals.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, RunSummary, TrainingConfig } from '../../contract/index';
import { loadModelFolder } from '../../ml/model-io/model-folder';
import { runCli } from '../helpers/cli';
import { caller } from '../helpers/labels';
import { importScans, labelClassification, labelSegmentation } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';

/** Layers 1–3 of this small CNN: conv_1, bn_1 and its ReLU. */
const FROZEN = 3;

describe('fine-tuning from an earlier run', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let workspace: string;
  let taskId: number;
  let outlineTaskId: number;
  let config: TrainingConfig;
  let sourceRun: string;

  const modelDir = (runId: string) => path.join(workspace, 'runs', runId, 'model');
  const record = (runId: string) =>
    JSON.parse(readFileSync(path.join(workspace, 'runs', runId, 'run.json'), 'utf8')) as RunRecord;
  const finish = (runId: string): Promise<RunSummary> => call('training.watch', { runId });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-finetune-'));
    workspace = path.join(dir, 'ws');
    await call('workspace.open', { path: workspace, create: true });
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 48, size: 24, seed: 9 });
    taskId = await labelClassification(call, scans);
    outlineTaskId = await labelSegmentation(call, scans);
    config = {
      ...(await call('training.defaults', { taskId })).config,
      epochs: 1,
      batchSize: 8,
      model: { architecture: 'small-cnn', filters: [4, 8] },
    };
    const source = await call('training.start', { taskId, config });
    expect(await finish(source.runId)).toMatchObject({ state: 'completed' });
    sourceRun = source.runId;
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains from a completed run with its first layers frozen, and records where it started', async () => {
    const fineTune = {
      from: { kind: 'run' as const, runId: sourceRun },
      freezeLayers: FROZEN,
      backboneLearningRateFactor: 0.1,
      head: 'replace' as const,
      unfreeze: [],
    };
    const run = await call('training.start', { taskId, config: { ...config, fineTune } });
    expect(await finish(run.runId)).toMatchObject({ state: 'completed', epochsDone: 1 });
    const tunedRecord = record(run.runId);
    expect(tunedRecord.config.fineTune).toEqual({
      ...fineTune,
      from: { kind: 'loupe-model', dir: modelDir(sourceRun), runId: sourceRun },
    });
    expect(tunedRecord.epochs[0]!.frozenLayers).toBe(FROZEN);
    // Fine-tuning keeps the source's architecture; the runs list says so too.
    expect(tunedRecord.config.model).toEqual(config.model);

    const source = await loadModelFolder(modelDir(sourceRun));
    const tuned = await loadModelFolder(modelDir(run.runId));
    const valueOf = (m: tf.LayersModel, name: string) =>
      Array.from(
        m.weights
          .find((w) => w.originalName === name)!
          .read()
          .dataSync(),
      );
    expect(valueOf(tuned.model, 'conv_1/kernel')).toEqual(valueOf(source.model, 'conv_1/kernel'));
    expect(valueOf(tuned.model, 'bn_1/gamma')).toEqual(valueOf(source.model, 'bn_1/gamma'));
    // The layer after the frozen ones learnt (at a tenth of the rate), so the comparison above can fail.
    expect(valueOf(tuned.model, 'conv_2/kernel')).not.toEqual(valueOf(source.model, 'conv_2/kernel'));
    expect(tuned.model.layers.at(-1)!.name).toBe('head_finetune_logits');
    source.model.dispose();
    tuned.model.dispose();
  });

  it('refuses, before creating a run, a run that does not exist, a run of another kind, and a missing model file', async () => {
    const before = (await call('training.runs', {})).runs.length;
    const withSource = (from: unknown) => ({ ...config, fineTune: { from, freezeLayers: 0 } }) as TrainingConfig;
    await expect(
      call('training.start', { taskId, config: withSource({ kind: 'run', runId: 'run-20990101-000000-abcd' }) }),
    ).rejects.toThrow('This workspace has no run run-20990101-000000-abcd.');
    const outline = (await call('training.defaults', { taskId: outlineTaskId })).config;
    await expect(
      call('training.start', {
        taskId: outlineTaskId,
        config: {
          ...outline,
          fineTune: {
            from: { kind: 'run', runId: sourceRun },
            freezeLayers: 0,
            head: 'replace',
            unfreeze: [],
            backboneLearningRateFactor: 1,
          },
        },
      }),
    ).rejects.toThrow(
      `Run ${sourceRun} trained a classification model; a segmentation run fine-tunes from a segmentation model.`,
    );
    const missing = path.join(dir, 'nowhere', 'model.json');
    await expect(
      call('training.start', { taskId, config: withSource({ kind: 'tfjs-layers', modelJson: missing }) }),
    ).rejects.toThrow(`There is no model file at ${missing}.`);
    expect((await call('training.runs', {})).runs).toHaveLength(before);
  });

  it('loupe train --fine-tune-from a model folder, and one-line refusals of a bad source', async () => {
    const trained = await runCli(
      [
        'train',
        '--workspace',
        workspace,
        '--task',
        'Lesion',
        '--epochs',
        '1',
        '--fine-tune-from',
        modelDir(sourceRun),
        '--freeze',
        '2',
        '--backbone-lr-factor',
        '0.5',
        '--json',
      ],
      { timeoutMs: 120_000 },
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toContain(
      `fine-tuning from ${modelDir(sourceRun)}: first 2 layer(s) frozen, backbone learning rate ×0.5`,
    );
    const run = JSON.parse(trained.stdout) as RunSummary;
    expect(run.state).toBe('completed');
    expect(record(run.runId).config.fineTune).toMatchObject({
      from: { kind: 'loupe-model', dir: modelDir(sourceRun) },
      freezeLayers: 2,
      backboneLearningRateFactor: 0.5,
      head: 'replace',
    });

    const unknown = await runCli([
      'train',
      '--workspace',
      workspace,
      '--task',
      'Lesion',
      '--fine-tune-from',
      'run-20990101-000000-abcd',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n').at(-1)).toBe('loupe: This workspace has no run run-20990101-000000-abcd.');
    const noFile = await runCli([
      'train',
      '--workspace',
      workspace,
      '--task',
      'Lesion',
      '--fine-tune-from',
      path.join(dir, 'other.json'),
    ]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain(`There is no model file at ${path.join(dir, 'other.json')}.`);
    const alone = await runCli(['train', '--workspace', workspace, '--task', 'Lesion', '--freeze', '2']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--freeze and --backbone-lr-factor go with --fine-tune-from.');
  });
});
