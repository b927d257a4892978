/**
 * Scoring a classifier with one batch in flight (evaluate.ts): the next batch's forward pass is
 * issued before the current one is read, the report is the one the samples' outputs give in
 * order, and every batch's tensors are freed, after a cancel too. A stub runner stands for the
 * model, logging when each batch runs and when it is read.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessingSpecSchema, type EvaluationReport } from '../../contract/index';
import type { PreparedSample } from '../data/dataset';
import { classificationReport } from '../metrics/classification';
import { evaluateSamples } from './evaluate';
import { softmaxRow } from './outputs';
import type { BatchRunner } from './scored-model';

const spec = preprocessingSpecSchema.parse({ rows: 8, columns: 8 });
const classes = ['a', 'b'];

/** Ten samples: the first pixel holds the sample's number, which the stub turns into logits. */
const samples: PreparedSample[] = Array.from({ length: 10 }, (_, i) => ({
  id: String(i),
  split: 'test',
  image: Float32Array.from({ length: 64 }, (_, p) => (p === 0 ? i : 0)),
  placement: { top: 0, left: 0, height: 8, width: 8 },
  frameRows: 8,
  frameColumns: 8,
  label: i % 3 === 0 ? 1 : 0,
}));

/** Logits of sample `i`: class b scores higher for odd numbers. */
const logitsOf = (i: number) => [Math.cos(i), Math.cos(i) + (i % 2 ? 1 : -1) * (0.2 + i / 10)];

function runner(events: string[]): BatchRunner {
  return {
    inputs: [{ shape: [null, 8, 8, 1] }],
    outputs: [{ shape: [null, 2] }],
    async runBatch(x) {
      const values = x.dataSync();
      const first = Array.from({ length: x.shape[0] }, (_, b) => values[b * 64]!);
      events.push(`run ${first.join(',')}`);
      return tf.tensor2d(first.flatMap(logitsOf), [first.length, 2]);
    },
  };
}

describe('scoring with one batch in flight', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs the next batch before reading the current one, and reports what a pass in order gives', async () => {
    const events: string[] = [];
    const tensors = tf.memory().numTensors;
    const outcome = await evaluateSamples(runner(events), samples, {
      task: 'classification',
      classes,
      spec,
      split: 'test',
      batchSize: 4,
      onBatch: (done) => events.push(`read ${done}`),
    });
    expect(events).toEqual(['run 0,1,2,3', 'run 4,5,6,7', 'read 1', 'run 8,9', 'read 2', 'read 3']);
    const expected: EvaluationReport = classificationReport(
      samples.map((s) => s.label!),
      samples.map((_, i) => softmaxRow(new Float32Array(logitsOf(i)), 0, 2)),
      classes,
      'test',
    );
    expect(JSON.stringify(outcome.report)).toBe(JSON.stringify(expected));
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('stops at the next batch after a cancel, and frees the batch already running', async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const tensors = tf.memory().numTensors;
    const scoring = evaluateSamples(runner(events), samples, {
      task: 'classification',
      classes,
      spec,
      split: 'test',
      batchSize: 4,
      signal: controller.signal,
      onBatch: (done) => (events.push(`read ${done}`), done === 1 && controller.abort()),
    });
    await expect(scoring).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(events).toEqual(['run 0,1,2,3', 'run 4,5,6,7', 'read 1']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
