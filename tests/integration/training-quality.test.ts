/**
 * Quality through the path the UI and the CLI take: synthetic scans written as 16-bit PNG files,
 * imported with the import service, labelled and split through the labels channels, trained by
 * the training service (a background run in the real engine worker, wasm + Loupe's kernels) with
 * the defaults it proposes for the task, and read back from the run record: classification test
 * accuracy ≥ 0.95 and U-Net lesion Dice ≥ 0.85.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, TrainingConfig } from '../../contract/index';
import { caller } from '../helpers/labels';
import { importScans, labelClassification, labelSegmentation, type ScanWorkspace } from '../helpers/scan-workspace';
import { realServices } from '../helpers/services';

/** The quality targets. */
const MIN_TEST_ACCURACY = 0.95;
const MIN_LESION_DICE = 0.85;
/**
 * Epochs for CI, fewer than the defaults' 20 and still with a margin on 32 × 32 scans: measured
 * test accuracy 1.0 for seeds 0–3 at 8 epochs, lesion Dice 0.99 at 6.
 */
const CLASSIFICATION_EPOCHS = 8;
const SEGMENTATION_EPOCHS = 6;

describe('training quality on synthetic 16-bit scans, through the workspace', () => {
  const { services, log } = realServices();
  const call = caller(services, log);
  let dir: string;
  let workspace: ScanWorkspace;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-quality-'));
    await call('workspace.open', { path: path.join(dir, 'ws'), create: true });
    workspace = await importScans(call, path.join(dir, 'scans'), {
      count: 240,
      size: 32,
      seed: 11,
      abnormalFraction: 0.5,
    });
  });
  afterAll(async () => {
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a run through the channel and waits for it as `loupe train` does. */
  async function train(taskId: number, edit: (config: TrainingConfig) => TrainingConfig): Promise<RunRecord> {
    const defaults = await call('training.defaults', { taskId });
    const started = await call('training.start', { taskId, config: edit(defaults.config) });
    const finished = await call('training.watch', { runId: started.runId });
    expect(finished.state, finished.error ?? '').toBe('completed');
    const { record } = await call('training.run', { runId: started.runId });
    return record!;
  }

  it(`classifies lesion vs normal with test accuracy ≥ ${MIN_TEST_ACCURACY}`, async () => {
    const taskId = await labelClassification(call, workspace);
    const defaults = await call('training.defaults', { taskId });
    // What the defaults made of 16-bit 32 × 32 scans.
    expect(defaults.config.preprocessing).toMatchObject({
      rows: 32,
      columns: 32,
      channels: 1,
      intensity: { mode: 'auto' },
    });
    expect(defaults.dataset.bitsStored).toBe(16);
    const record = await train(taskId, (c) => ({ ...c, epochs: CLASSIFICATION_EPOCHS }));
    const report = record.evaluation!;
    if (report.task !== 'classification') throw new Error('expected a classification report');
    console.log(
      `[quality] classification (${record.environment.backend}, ${record.environment.threads} thread): test accuracy ${report.accuracy.toFixed(3)} over ${report.count} images`,
    );
    expect(report.accuracy).toBeGreaterThanOrEqual(MIN_TEST_ACCURACY);
    expect(record.preprocessing.intensity.mode).toBe('range');
    expect(report.count).toBe(record.dataset.splits.test.length);
  });

  it(`segments lesions with a U-Net on two threads, lesion Dice ≥ ${MIN_LESION_DICE}`, async () => {
    const taskId = await labelSegmentation(call, workspace);
    const record = await train(taskId, (c) => ({ ...c, epochs: SEGMENTATION_EPOCHS, threads: 2 }));
    const report = record.evaluation!;
    if (report.task !== 'segmentation') throw new Error('expected a segmentation report');
    const lesion = report.perClass[1]!;
    console.log(
      `[quality] U-Net (${record.environment.backend}, ${record.environment.threads} threads): lesion Dice ${lesion.dice?.toFixed(3)} over ${lesion.images} images with lesions`,
    );
    expect(record.environment.threads).toBe(2);
    expect(lesion.dice).toBeGreaterThanOrEqual(MIN_LESION_DICE);
  });
});
