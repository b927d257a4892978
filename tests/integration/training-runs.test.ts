/**
 * A run's life in the training service, with the real engine worker: it trains in the background
 * while a second start is refused, a reloaded page re-attaches to its progress, cancel stops it
 * within one batch, a crash of the engine worker leaves it interrupted and resumable, resume
 * finishes it, the same seed and thread setting give the same run, and a finished run can be
 * deleted. Through the channels, as the UI calls them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, RunSummary, TrainingConfig, TrainingProgress } from '../../contract/index';
import { readModelCard } from '../../base/model-folder-files';
import { RunStore } from '../../main/services/training/run-store';
import { caller } from '../helpers/labels';
import { importScans, labelClassification } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';

describe('training runs', () => {
  const { services, workers, log } = realServices();
  const call = caller(services, log);
  const events: { event: EventName; payload: unknown }[] = [];
  services.bus.subscribe((event, payload) => events.push({ event, payload }));
  let dir: string;
  let taskId: number;
  let config: TrainingConfig;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-runs-'));
    await call('workspace.open', { path: path.join(dir, 'ws'), create: true });
    const scans = await importScans(call, path.join(dir, 'scans'), { count: 96, size: 32, seed: 5 });
    taskId = await labelClassification(call, scans);
    // Batches of 8 make several steps per epoch, so there is a batch boundary to stop at.
    config = {
      ...(await call('training.defaults', { taskId })).config,
      epochs: 4,
      batchSize: 8,
      model: { architecture: 'small-cnn', filters: [8, 16] },
    };
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Watches a run, calling `onBatch` on every training batch; resolves with the run when it ends. */
  function watch(runId: string, onBatch: (p: TrainingProgress) => void = () => {}): Promise<RunSummary> {
    return call('training.watch', { runId }, (p) => {
      const progress = p as TrainingProgress;
      if (progress.phase === 'training' && !progress.epochRecord) onBatch(progress);
    });
  }

  it('trains in the background, refuses a second start, and lets a reloaded page re-attach', async () => {
    const run = await call('training.start', { taskId, config });
    expect(run).toMatchObject({ state: 'running', active: true, epochs: 4, taskName: 'Lesion' });
    await expect(call('training.start', { taskId, config })).rejects.toThrow(
      new RegExp(`Run ${run.runId} is training.*one run trains at a time`),
    );
    let attached: Awaited<ReturnType<typeof call<'training.run'>>> | null = null;
    const finished = await watch(run.runId, (p) => {
      if (p.epoch === 1 && !attached) void call('training.run', { runId: run.runId }).then((r) => (attached ??= r));
    });
    expect(finished).toMatchObject({ state: 'completed', epochsDone: 4, active: false });
    expect(finished.test?.metric).toBe('accuracy');
    // What trained it, and how fast: the engine's backend, this machine's CPU, the last epoch's speed,
    // the same in the summary (Train section, loupe train --json), the record and the model card.
    const engine = await call('engine.info', {});
    const { record } = await call('training.run', { runId: run.runId });
    const speed = record!.epochs.at(-1)!.trainImagesPerSecond!;
    expect(speed).toBeGreaterThan(0);
    const cpu = `${os.cpus()[0]!.model.trim()} (${os.availableParallelism()} cores)`;
    expect(finished.engine).toEqual({ backend: engine.backend, device: cpu, trainImagesPerSecond: speed });
    expect(record!.environment).toMatchObject({ backend: engine.backend, device: cpu });
    const card = await readModelCard(record!.modelDir!);
    expect(card.versions).toMatchObject({ backend: engine.backend, device: cpu, trainImagesPerSecond: speed });
    // What a page loaded mid-run sees: the run's record so far and its live progress.
    expect(attached!.summary.active).toBe(true);
    expect(attached!.progress?.phase).toBeDefined();
    expect(attached!.record?.epochs.length).toBeGreaterThanOrEqual(1);
    // Every window heard about it: progress events and the run's changes, start and end.
    const progress = events.filter(
      (e) => e.event === 'training.progress' && (e.payload as { runId: string }).runId === run.runId,
    );
    expect(progress.length).toBeGreaterThan(4);
    const changes = events
      .filter((e) => e.event === 'training.changed')
      .map((e) => (e.payload as { run: RunSummary }).run.state);
    expect(changes).toEqual(['running', 'completed']);
  });

  it('cancels within one batch, and resumes to the same result as an uninterrupted run', async () => {
    const reference = (await call('training.runs', {})).runs[0]!;
    const run = await call('training.start', { taskId, config });
    let cancelledAt: number | null = null;
    let batchesAfter = 0;
    const ended = await watch(run.runId, (p) => {
      if (cancelledAt !== null) batchesAfter++;
      else if (p.epoch === 1 && p.batch === 1) {
        cancelledAt = p.batchesDone;
        void call('training.cancel', { runId: run.runId });
      }
    });
    expect(ended.state).toBe('cancelled');
    expect(batchesAfter).toBeLessThanOrEqual(1);
    const resumed = await call('training.resume', { runId: run.runId });
    expect(resumed.state).toBe('running');
    const finished = await watch(run.runId);
    expect(finished.state).toBe('completed');
    // Same seed, same threads: the resumed run ends exactly where the uninterrupted one did.
    const [a, b] = await Promise.all([
      call('training.run', { runId: reference.runId }),
      call('training.run', { runId: run.runId }),
    ]);
    expect(b.record!.epochs.map((e) => e.validation)).toEqual(a.record!.epochs.map((e) => e.validation));
    expect(b.record!.evaluation).toEqual(a.record!.evaluation);
  });

  it('marks a run interrupted when the engine worker dies mid-run, and resumes it', async () => {
    const run = await call('training.start', { taskId, config });
    const ended = await watch(run.runId, (p) => {
      // Kill the worker thread outright after the first epoch's checkpoint, as a crash would.
      if (p.epoch === 1 && p.batch === 0) void workers.at(-1)!.thread.terminate();
    });
    expect(ended.state).toBe('interrupted');
    expect(ended.error).toMatch(/engine stopped unexpectedly/);
    expect(ended.epochsDone).toBe(1);
    expect((await call('training.runs', {})).runs.find((r) => r.runId === run.runId)?.state).toBe('interrupted');
    await call('training.resume', { runId: run.runId });
    const finished = await watch(run.runId);
    expect(finished).toMatchObject({ state: 'completed', epochsDone: 4 });
  });

  it('gives the same run twice for the same seed on two threads, and records the threads', async () => {
    const twoThreads = { ...config, epochs: 2, threads: 2 as const };
    const records = [];
    for (let i = 0; i < 2; i++) {
      const run = await call('training.start', { taskId, config: twoThreads });
      expect((await watch(run.runId)).state).toBe('completed');
      records.push((await call('training.run', { runId: run.runId })).record!);
    }
    expect(records[0]!.environment.threads).toBe(2);
    expect(records[1]!.epochs.map((e) => [e.trainLoss, e.validation])).toEqual(
      records[0]!.epochs.map((e) => [e.trainLoss, e.validation]),
    );
  });

  it('refuses to start while another Loupe trains in this workspace, and sees its run interrupted once that Loupe is gone', async () => {
    const store = new RunStore(services.workspaces.require());
    // A live process that is not this one stands in for the CLI training beside the app.
    store.insert({
      id: 'run-20250101-000000-0000',
      taskId,
      taskName: 'Lesion',
      kind: 'classification',
      state: 'running',
      config,
      ownerPid: process.ppid,
    });
    await expect(call('training.start', { taskId, config })).rejects.toThrow(
      /run-20250101-000000-0000 is training in another Loupe \(process \d+\) on this workspace/,
    );
    await expect(call('training.cancel', { runId: 'run-20250101-000000-0000' })).rejects.toThrow(/stop it there/);
    // Above Linux's largest pid (2^22): a process that cannot exist.
    store.setState('run-20250101-000000-0000', 'running', { ownerPid: 2 ** 22 + 1 });
    expect((await call('training.runs', {})).runs.find((r) => r.runId === 'run-20250101-000000-0000')?.state).toBe(
      'interrupted',
    );
    store.delete('run-20250101-000000-0000');
  });

  it('deletes a finished run with its folder, and refuses to resume a completed one', async () => {
    const [latest] = (await call('training.runs', {})).runs;
    await expect(call('training.resume', { runId: latest!.runId })).rejects.toThrow(
      /has completed; there is nothing to resume/,
    );
    expect(await call('training.delete', { runId: latest!.runId })).toEqual({ deleted: true });
    expect((await call('training.runs', {})).runs.map((r) => r.runId)).not.toContain(latest!.runId);
    await expect(call('training.run', { runId: latest!.runId })).rejects.toThrow(/has no run/);
  });
});
