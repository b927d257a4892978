/**
 * Verification data on its way to the model: P × K batches from identities, pair batches from
 * labelled pairs, their relation targets, the running known-pair AUC (checked against the ROC
 * AUC of ml/metrics), the evaluation pairs of a split, and the refusals a user can meet.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  preprocessingSpecSchema,
  trainingConfigSchema,
  trainingDatasetSchema,
  type TrainingConfigInput,
} from '../../../contract/index';
import { seededRandom } from '../../../tests/fixtures/detection-random';
import { prepareDataset, type PreparedDataset } from '../../data/dataset';
import { rocAuc } from '../../metrics/verification';
import { evaluationPairs, MAX_EVALUATION_PAIRS } from './verification-evaluation';
import { knownPairAuc, openVerificationRun, relationOfPairs } from './verification-run';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const frame = (value: number) => ({
  data: new Uint8Array(64).fill(value),
  rows: 8,
  columns: 8,
  samplesPerPixel: 1 as const,
});

/** `identities` parts × `views` images each, in the training split. */
async function identities(parts: number, views: number, extra: object = {}): Promise<PreparedDataset> {
  const samples = Array.from({ length: parts * views }, (_, i) => ({
    id: `img-${String(i).padStart(3, '0')}`,
    split: 'train' as const,
    image: { frame: frame(i) },
    identity: `part-${Math.floor(i / views)}`,
  }));
  return prepareDataset(
    trainingDatasetSchema.parse({ task: 'verification', samples, ...extra }),
    preprocessingSpecSchema.parse({ rows: 8, columns: 8, intensity: { mode: 'dtype' } }),
  );
}

const config = (extra: Partial<TrainingConfigInput> = {}) =>
  trainingConfigSchema.parse({
    task: 'verification',
    model: { architecture: 'siamese', backbone: { architecture: 'small-cnn' } },
    preprocessing: { rows: 8, columns: 8 },
    loss: { name: 'batch-hard-triplet' },
    batchSize: 12,
    verification: { imagesPerIdentity: 3 },
    ...extra,
  });

describe('verification training batches', () => {
  it('draw P × K batches (batchSize / K identities of K images), the same for the same epoch and others for another', async () => {
    const data = await identities(10, 5);
    const run = openVerificationRun(config(), data);
    expect(run.batchesPerEpoch).toBe(Math.ceil(50 / 12));
    const epoch = run.epochBatches(0);
    for (const { indices } of epoch) {
      const parts = indices.map((i) => data.splits.train[i]!.identity!);
      const counts = [...new Set(parts)].map((p) => parts.filter((q) => q === p).length);
      expect(counts).toEqual([3, 3, 3, 3]);
      expect(new Set(indices).size).toBe(12);
    }
    expect(run.epochBatches(0)).toEqual(epoch);
    expect(run.epochBatches(1)).not.toEqual(epoch);
    const batch = run.trainingBatch(epoch[0]!, 0, 0);
    const relation = batch.y.dataSync();
    const parts = epoch[0]!.indices.map((i) => data.splits.train[i]!.identity!);
    for (let i = 0; i < 12; i++)
      for (let j = 0; j < 12; j++) expect(relation[i * 12 + j]).toBe(i === j ? 0 : parts[i] === parts[j] ? 1 : -1);
    tf.dispose([batch.x, batch.y]);
  });

  it('batch labelled pairs as [a…, b…] with only their own relations known', async () => {
    const base = await identities(4, 2);
    const ids = base.splits.train.map((s) => s.id);
    const pairs = [
      { a: ids[0]!, b: ids[1]!, same: true },
      { a: ids[0]!, b: ids[2]!, same: false },
      { a: ids[2]!, b: ids[3]!, same: true },
      { a: ids[4]!, b: ids[7]!, same: false },
    ];
    const data = await identities(4, 2, { pairs });
    const run = openVerificationRun(
      config({ loss: { name: 'contrastive' }, batchSize: 4, verification: { source: 'pairs' } }),
      data,
    );
    expect(run.batchesPerEpoch).toBe(2);
    const planned = run.epochBatches(0);
    expect(planned.flatMap((p) => p.same!).sort()).toEqual([false, false, true, true]);
    expect(Array.from(relationOfPairs([true, false]))).toEqual([0, 0, 1, 0, 0, 0, 0, -1, 1, 0, 0, 0, 0, -1, 0, 0]);
  });

  it('refuse what cannot train, saying why', async () => {
    await expect(identities(1, 4).then((d) => openVerificationRun(config(), d))).rejects.toThrow(
      /at least two identities with two or more images/,
    );
    await expect(identities(4, 4).then((d) => openVerificationRun(config({ batchSize: 5 }), d))).rejects.toThrow(
      /raise batchSize to at least 6/,
    );
    const data = await identities(4, 2, { pairs: [{ a: 'img-000', b: 'img-001', same: true }] });
    expect(() => openVerificationRun(config({ verification: { source: 'pairs' } }), data)).toThrow(
      /with labelled pairs use the contrastive loss/,
    );
    expect(() =>
      openVerificationRun(config({ loss: { name: 'contrastive' }, verification: { source: 'pairs' } }), data),
    ).toThrow(/both same and different pairs .* 1 same and 0 different/);
  });
});

describe('known-pair AUC', () => {
  it('equals the ROC AUC of the known pairs by cosine similarity, ties included', () => {
    const random = seededRandom(3);
    const n = 10;
    const d = 4;
    const embeddings = Float32Array.from({ length: n * d }, () => Math.round(random() * 4) / 4);
    const relation = new Float32Array(n * n);
    const scores: number[] = [];
    const labels: (0 | 1)[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const r = random() < 0.2 ? 0 : random() < 0.4 ? 1 : -1;
        relation[i * n + j] = relation[j * n + i] = r;
        if (r === 0) continue;
        let dot = 0;
        for (let k = 0; k < d; k++) dot += embeddings[i * d + k]! * embeddings[j * d + k]!;
        scores.push(dot);
        labels.push(r === 1 ? 1 : 0);
      }
    }
    expect(knownPairAuc(embeddings, relation, n)).toBeCloseTo(rocAuc(scores, labels), 10);
    expect(knownPairAuc(embeddings, new Float32Array(n * n), n)).toBeNull();
  });
});

describe('evaluation pairs of a split', () => {
  it('are every pair of images with identities, labelled pairs taking precedence', async () => {
    const data = await identities(3, 3);
    const { pairs, source } = evaluationPairs(data, 'train');
    expect([pairs.length, pairs.filter((p) => p.same).length, source]).toEqual([36, 9, 'identities']);
    const labelled = await identities(3, 3, { pairs: [{ a: 'img-000', b: 'img-004', same: false }] });
    expect(evaluationPairs(labelled, 'train')).toEqual({ pairs: [{ a: 0, b: 4, same: false }], source: 'pairs' });
  });

  it(`stop at ${MAX_EVALUATION_PAIRS} pairs for large splits, keeping every same pair`, () => {
    const samples = Array.from({ length: 600 }, (_, i) => ({ identity: Math.floor(i / 4) }));
    const data = {
      splits: { train: samples, val: [], test: [] },
      pairs: { train: [], val: [], test: [] },
    } as unknown as PreparedDataset;
    const { pairs } = evaluationPairs(data, 'train');
    expect(pairs).toHaveLength(MAX_EVALUATION_PAIRS);
    expect(pairs.filter((p) => p.same)).toHaveLength(150 * 6);
    expect(evaluationPairs(data, 'train').pairs).toEqual(pairs);
  });
});
