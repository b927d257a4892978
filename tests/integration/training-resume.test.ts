/**
 * A training run killed mid-epoch (SIGKILL of the process hosting the built engine worker)
 * resumes from its last checkpoint and reaches the same final weights, metrics and test
 * evaluation as an uninterrupted run with the same seed.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, TrainingConfigInput, TrainingProgress } from '../../contract/index';
import { engineWorkerEntry } from '../../main/app/paths';
import { classificationDataset, makeSyntheticScans } from '../fixtures/synthetic-scans';
import { requireBuild } from '../helpers/services';
import { epochsWithoutDurations } from '../../ml/train/train-test-support';

const CHILD = path.join(import.meta.dirname, '..', 'helpers', 'engine-child.mjs');

interface ChildRun {
  result: Promise<{ ok: boolean; value?: RunRecord; error?: { code: string; message: string } } | null>;
  kill(): void;
}

/** Runs one engine method in a fresh process; `onProgress` may kill it. Resolves null when killed. */
function inChild(
  method: string,
  payload: unknown,
  onProgress: (p: TrainingProgress, run: ChildRun) => void = () => {},
): ChildRun {
  const child = fork(CHILD, { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let settled = false;
  const run: ChildRun = {
    kill: () => child.kill('SIGKILL'),
    result: new Promise((resolve, reject) => {
      child.on(
        'message',
        (message: {
          type: string;
          data?: TrainingProgress;
          ok?: boolean;
          value?: RunRecord;
          error?: { code: string; message: string };
        }) => {
          if (message.type === 'progress') onProgress(message.data!, run);
          if (message.type === 'result') {
            settled = true;
            resolve({
              ok: message.ok!,
              ...(message.value ? { value: message.value } : {}),
              ...(message.error ? { error: message.error } : {}),
            });
          }
        },
      );
      child.on('exit', (_code, signal) => {
        if (settled) return;
        if (signal === 'SIGKILL') resolve(null);
        else reject(new Error('The engine child exited without a result.'));
      });
    }),
  };
  child.send({ entry: engineWorkerEntry(), backend: 'wasm', method, payload });
  return run;
}

let root: string;
beforeAll(() => {
  requireBuild();
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-resume-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dataset = classificationDataset(makeSyntheticScans({ count: 40, size: 16, seed: 21 }));
const config: TrainingConfigInput = {
  task: 'classification',
  model: { architecture: 'small-cnn', filters: [4, 8], batchNorm: true },
  preprocessing: { rows: 16, columns: 16 },
  loss: { name: 'focal' },
  optimizer: { name: 'sgd', momentum: 0.9, nesterov: true },
  learningRate: 0.05,
  schedule: { name: 'warm-restarts', firstPeriodEpochs: 2 },
  epochs: 4,
  batchSize: 6,
  seed: 17,
  augment: { flipVertical: 0.5, scale: 0.1, gamma: 0.2 },
  monitor: { metric: 'val_accuracy', mode: 'max' },
};

describe('resume after a killed process', () => {
  it('reaches the same final weights as an uninterrupted run with the same seed', async () => {
    const straightDir = path.join(root, 'straight');
    const straight = await inChild('train', { runDir: straightDir, dataset, config }).result;
    expect(straight?.ok).toBe(true);

    const killedDir = path.join(root, 'killed');
    let killedAt: TrainingProgress | null = null;
    const killed = await inChild('train', { runDir: killedDir, dataset, config }, (p, run) => {
      if (!killedAt && p.phase === 'training' && p.epoch === 2 && p.batch === 2) {
        killedAt = p;
        run.kill();
      }
    }).result;
    expect(killed).toBeNull();
    expect(killedAt).not.toBeNull();
    const orphan = JSON.parse(readFileSync(path.join(killedDir, 'run.json'), 'utf8')) as RunRecord;
    // Killed without a chance to say so: the record still says running, two epochs checkpointed.
    expect(orphan.status).toBe('running');
    expect(orphan.epochs).toHaveLength(2);
    expect(existsSync(path.join(killedDir, 'model'))).toBe(false);

    const resumed = await inChild('train', { runDir: killedDir, dataset, resume: true }).result;
    expect(resumed?.ok).toBe(true);
    const a = straight!.value!;
    const b = resumed!.value!;
    expect(b.status).toBe('completed');
    expect(b.runId).toBe(orphan.runId);
    expect(b.environment.backend).toBe(a.environment.backend);
    console.log(`[resume] trained on ${b.environment.backend}; killed in epoch 3, batch 3`);
    expect(epochsWithoutDurations(b)).toEqual(epochsWithoutDurations(a));
    expect(b.evaluation).toEqual(a.evaluation);
    const weights = (dir: string) => readFileSync(path.join(dir, 'model', 'weights.bin'));
    expect(weights(killedDir).equals(weights(straightDir))).toBe(true);
  });
});
