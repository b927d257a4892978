/**
 * An epoch's batches with one step in flight (epoch-steps.ts): each step is issued before the
 * previous one is read, every step issued is read or freed exactly once whatever stops the epoch,
 * and progress, divergence and cancel name the right batch. A stub step stands for the real one
 * (whose results the training tests check) so that the order of events is what is checked.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainingProgress } from '../../contract/index';
import { trainEpochBatches, type EpochStepsOptions } from './epoch-steps';
import type { TrainingSession } from './session';
import type { IssuedStep } from './train-step';

const BATCHES = 4;

/** A session with just what an epoch's batches use: BATCHES batches of 2. */
function session(): TrainingSession {
  return {
    config: { epochs: 1 },
    schedule: { at: (_epoch: number, index: number) => 0.1 / (index + 1) },
    task: {
      batchesPerEpoch: BATCHES,
      metricName: 'accuracy',
      epochBatches: () => Array.from({ length: BATCHES }, (_, i) => i),
      trainingBatch: (plan: number) => ({ x: tf.fill([2, 1], plan), y: tf.fill([2], plan), size: 2 }),
      batchMetric: (logits: Float32Array, targets: ArrayLike<number>) => (logits[0] === targets[0] ? 1 : 0),
    },
    compression: {},
    loss: () => tf.scalar(0),
    run: { model: null },
    optimizer: null,
  } as unknown as TrainingSession;
}

interface Watch {
  events: string[];
  progress: TrainingProgress[];
  options: EpochStepsOptions;
  controller: AbortController;
}

/** Options whose step logs "issue i", "read i" and "free i"; `fail` makes issuing that batch throw. */
function watch(losses: number[], fail?: number, onProgress?: (p: TrainingProgress, w: Watch) => void): Watch {
  const controller = new AbortController();
  const w: Watch = {
    events: [],
    progress: [],
    controller,
    options: {
      hooks: {
        signal: controller.signal,
        progress: (p) => {
          w.events.push(`progress ${p.batch}`);
          w.progress.push(p);
          onProgress?.(p, w);
        },
      },
      replacement: null,
      clock: { started: performance.now(), batchesDone: 0, batchesTotal: BATCHES },
      issue: (context, batch): IssuedStep => {
        const i = batch.x.dataSync()[0]!;
        if (i === fail) throw new Error(`batch ${i} failed`);
        w.events.push(`issue ${i} at ${context.learningRate.toFixed(3)}`);
        return {
          outcome: async () => (w.events.push(`read ${i}`), { loss: losses[i]!, logits: new Float32Array([i, 0]) }),
          discard: () => void w.events.push(`free ${i}`),
        };
      },
    },
  };
  return w;
}

describe("an epoch's batches, one step in flight", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('issues each step before reading the one before, and reports every batch in order', async () => {
    const w = watch([4, 3, 2, 1]);
    const tensors = tf.memory().numTensors;
    const totals = await trainEpochBatches(session(), 0, [], w.options);
    expect(w.events).toEqual([
      'issue 0 at 0.100',
      'issue 1 at 0.050',
      'read 0',
      'progress 0',
      'issue 2 at 0.033',
      'read 1',
      'progress 1',
      'issue 3 at 0.025',
      'read 2',
      'progress 2',
      'read 3',
      'progress 3',
    ]);
    expect(totals).toMatchObject({ lossSum: 20, seen: 8, metricSum: 8, metricSeen: 8, learningRate: 0.025 });
    expect(w.progress.map((p) => [p.batchesDone, p.loss, p.learningRate])).toEqual([
      [1, 4, 0.1],
      [2, 3.5, 0.05],
      [3, 3, 0.1 / 3],
      [4, 2.5, 0.025],
    ]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('stops at the next batch after a cancel, freeing the step it did not read', async () => {
    const w = watch([1, 1, 1, 1], undefined, (p, w) => p.batch === 1 && w.controller.abort());
    await expect(trainEpochBatches(session(), 0, [], w.options)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(w.events.slice(-3)).toEqual(['read 1', 'progress 1', 'free 2']);
  });

  it('stops before the last batch is read when the cancel came with the one before', async () => {
    const w = watch([1, 1, 1, 1], undefined, (p, w) => p.batch === 2 && w.controller.abort());
    await expect(trainEpochBatches(session(), 0, [], w.options)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(w.events.slice(-3)).toEqual(['read 2', 'progress 2', 'free 3']);
  });

  it('names the batch whose loss diverged, and frees the step issued after it', async () => {
    const w = watch([1, NaN, 1, 1]);
    await expect(trainEpochBatches(session(), 0, [], w.options)).rejects.toThrow(
      'Training diverged (the loss became NaN in epoch 1, batch 2); lower the learning rate.',
    );
    expect(w.events.slice(-2)).toEqual(['read 1', 'free 2']);
  });

  it('frees the step in flight when issuing the next fails', async () => {
    const w = watch([1, 1, 1, 1], 2);
    await expect(trainEpochBatches(session(), 0, [], w.options)).rejects.toThrow('batch 2 failed');
    expect(w.events.slice(-2)).toEqual(['progress 0', 'free 1']);
  });
});
