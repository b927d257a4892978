import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../tests/fixtures/detection-random';
import { buildEmbeddingHead, buildPairScorer, embed, L2Normalize } from './embedding';
import { Gallery, cosineSimilarity, nearestReferences } from './gallery';
import {
  batchContrastiveLoss,
  batchHardTripletLoss,
  contrastiveLoss,
  mineHardTriplets,
  pairwiseDistances,
} from './losses';
import { allPairsFromLabels, balancedPairsFromLabels, identityBatch, pairsFromLabelledPairs } from './pairs';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => tf.disposeVariables());

const scalar = (t: tf.Tensor) => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

describe('contrastive loss', () => {
  it('by hand: orthogonal unit vectors are √2 apart', () => {
    const a = tf.tensor2d([[1, 0]]);
    const b = tf.tensor2d([[0, 1]]);
    expect(scalar(contrastiveLoss(a, b, tf.tensor1d([1]), 1))).toBeCloseTo(2, 6);
    expect(scalar(contrastiveLoss(a, b, tf.tensor1d([0]), 1))).toBeCloseTo(0, 6);
    expect(scalar(contrastiveLoss(a, b, tf.tensor1d([0]), 2))).toBeCloseTo((2 - Math.SQRT2) ** 2, 5);
    // Mean over pairs.
    const two = contrastiveLoss(
      tf.tensor2d([
        [1, 0],
        [1, 0],
      ]),
      tf.tensor2d([
        [0, 1],
        [1, 0],
      ]),
      tf.tensor1d([1, 0]),
      1,
    );
    expect(scalar(two)).toBeCloseTo((2 + 1) / 2, 5);
  });
});

describe('batch-hard triplet loss', () => {
  const random = seededRandom(5);
  const n = 12;
  const labels = Array.from({ length: n }, (_, i) => i % 4);
  const raw = Array.from({ length: n * 8 }, () => random() - 0.5);

  it('equals a brute-force computation over the batch, and mining names the same triplets', () => {
    const e = tf.tidy(() =>
      tf.div(tf.tensor2d(raw, [n, 8]), tf.norm(tf.tensor2d(raw, [n, 8]), 'euclidean', 1, true)),
    ) as tf.Tensor2D;
    const v = e.arraySync();
    const dist = (i: number, j: number) => Math.hypot(...v[i]!.map((x, k) => x - v[j]![k]!));
    let expected = 0;
    for (let a = 0; a < n; a++) {
      let hp = 0;
      let hn = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === a) continue;
        if (labels[j] === labels[a]) hp = Math.max(hp, dist(a, j));
        else hn = Math.min(hn, dist(a, j));
      }
      expected += Math.max(0, hp - hn + 0.2);
    }
    expect(scalar(batchHardTripletLoss(e, labels, 0.2))).toBeCloseTo(expected / n, 5);
    const d = pairwiseDistances(e);
    const triplets = mineHardTriplets(d.dataSync(), labels);
    d.dispose();
    expect(triplets).toHaveLength(n);
    const fromMining = triplets.reduce((s, t) => s + Math.max(0, t.violation + 0.2), 0) / n;
    expect(fromMining).toBeCloseTo(expected / n, 5);
    e.dispose();
  });

  it('has finite gradients when embeddings coincide, ignores anchors without positives, leaks nothing', () => {
    const before = tf.memory().numTensors;
    const [loss, gradFinite] = tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 0],
        [1, 0],
        [0, 1],
        [0.6, 0.8],
      ]);
      const f = (t: tf.Tensor) => batchHardTripletLoss(t as tf.Tensor2D, [0, 0, 1, 2], 0.5);
      const g = tf.grad(f)(x);
      return [f(x).dataSync()[0]!, tf.all(tf.isFinite(g)).dataSync()[0]!];
    });
    expect(tf.memory().numTensors).toBe(before);
    // Only anchors 0 and 1 have a positive: d(a, p) = 0, nearest negative (0.6, 0.8) at √0.8.
    expect(loss).toBeCloseTo(Math.max(0, 0 - Math.sqrt(0.8) + 0.5), 3);
    expect(gradFinite).toBe(1);
  });
});

describe('pairs and batches', () => {
  it('labelled pairs map to indices, and say which image is unknown', () => {
    expect(pairsFromLabelledPairs([{ imageA: 'b', imageB: 'a', same: true }], ['a', 'b'])).toEqual([
      { a: 1, b: 0, same: true },
    ]);
    expect(() => pairsFromLabelledPairs([{ imageA: 'a', imageB: 'x', same: false }], ['a', 'b'])).toThrow(/image x/);
    expect(() => pairsFromLabelledPairs([{ imageA: 'a', imageB: 'a', same: true }], ['a'])).toThrow(/itself/);
  });

  it('pairs from class labels: all of them, or a balanced sample', () => {
    const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    const all = allPairsFromLabels(labels);
    expect(all).toHaveLength(36);
    expect(all.filter((p) => p.same)).toHaveLength(3 + 1 + 6);
    const balanced = balancedPairsFromLabels(labels, { count: 16, random: seededRandom(1) });
    expect(balanced.filter((p) => p.same)).toHaveLength(8);
    expect(balanced).toHaveLength(16);
    expect(new Set(balanced.map((p) => `${p.a}-${p.b}`)).size).toBe(16);
  });

  it('identity batches hold P identities × K images, each with a positive in the batch', () => {
    const labels = [0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 4, 4];
    const batch = identityBatch(labels, { identitiesPerBatch: 3, imagesPerIdentity: 4, random: seededRandom(2) });
    expect(batch).toHaveLength(12);
    const ids = batch.map((i) => labels[i]!);
    expect(new Set(ids).size).toBe(3);
    expect(ids.includes(2)).toBe(false); // identity 2 has a single image
    for (const id of new Set(ids)) expect(ids.filter((x) => x === id)).toHaveLength(4);
    expect(() =>
      identityBatch([0, 1, 2], { identitiesPerBatch: 2, imagesPerIdentity: 2, random: Math.random }),
    ).toThrow(/two identities/);
  });
});

describe('gallery', () => {
  it('returns the nearest references with scores and a decision at the threshold', () => {
    const gallery = new Gallery(0.9, 2);
    gallery.enroll('golden', 'golden sample', [1, 0]);
    gallery.enroll('worn', 'worn part', [0.6, 0.8]);
    gallery.enroll('other', 'other part', [0, 1]);
    const matches = gallery.query([0.8, 0.6]);
    // Cosines with (0.8, 0.6): worn 0.96, golden 0.8, other 0.6 (references are stored as float32).
    expect(matches.map((m) => m.id)).toEqual(['worn', 'golden', 'other']);
    expect(matches[0]).toMatchObject({ score: expect.closeTo(0.96, 6), same: true, label: 'worn part' });
    expect(matches[1]).toMatchObject({ score: expect.closeTo(0.8, 6), same: false });
    expect(gallery.query([0.8, 0.6], { k: 1 })).toHaveLength(1);
    expect(gallery.verify([0.99, 0.1])).toMatchObject({ id: 'golden', same: true });
    expect(gallery.remove('golden')).toBe(true);
    expect(gallery.size).toBe(2);
    expect(() => gallery.enroll('x', 'x', [1, 2, 3])).toThrow(/length 3/);
    expect(new Gallery(0.5, 2).verify([1, 0])).toBeNull();
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
    expect(nearestReferences([1, 0], [], 3, 0.5)).toEqual([]);
  });
});

describe('embedding head', () => {
  it('gives unit vectors, shares weights in the pair scorer, and saves and loads with its L2 layer', async () => {
    const input = tf.input({ shape: [12, 12, 1] });
    const features = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, activation: 'relu' })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: buildEmbeddingHead(features, { embeddingDim: 8, hiddenUnits: 16 }),
    });
    const images = tf.randomUniform([3, 12, 12, 1], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const embeddings = await embed(model, images);
    expect(tf.memory().numTensors).toBe(before);
    for (const e of embeddings) expect(Math.hypot(...e)).toBeCloseTo(1, 5);

    const scorer = buildPairScorer(model);
    expect(scorer.trainableWeights.length).toBe(model.trainableWeights.length);
    const a = tf.slice(images, [0, 0, 0, 0], [1, -1, -1, -1]);
    const b = tf.slice(images, [1, 0, 0, 0], [1, -1, -1, -1]);
    const score = scorer.predict([a, b]) as tf.Tensor;
    expect(score.dataSync()[0]).toBeCloseTo(cosineSimilarity(embeddings[0]!, embeddings[1]!), 5);

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(
        async (artifacts) => (
          (saved = artifacts),
          { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
        ),
      ),
    );
    expect(JSON.stringify(saved!.modelTopology)).toContain(L2Normalize.className);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const again = await embed(loaded, images);
    again.forEach((e, i) => e.forEach((v, k) => expect(v).toBeCloseTo(embeddings[i]![k]!, 5)));
    tf.dispose([images, a, b, score]);
    model.dispose();
    loaded.dispose();
    expect(() => buildEmbeddingHead(features, { embeddingDim: 1 })).toThrow(/at least 2/);
  });
});

describe('batch contrastive loss', () => {
  it('averages same and different pairs of the batch separately, by hand', () => {
    // One same pair (0, 1): pull = d(0, 1)². Two different pairs (0, 2), (1, 2): push = their
    // mean of max(0, margin − d)². The diagonal and repeated (j, i) pairs change neither mean.
    const e = tf.tensor2d([
      [1, 0],
      [0.82, 0.5724],
      [0.6, 0.8],
    ]);
    const labels = [0, 0, 1];
    const v = e.arraySync();
    const d = (i: number, j: number) => Math.hypot(v[i]![0]! - v[j]![0]!, v[i]![1]! - v[j]![1]!);
    const pull = d(0, 1) ** 2;
    const push = (Math.max(0, 1 - d(0, 2)) ** 2 + Math.max(0, 1 - d(1, 2)) ** 2) / 2;
    expect(scalar(batchContrastiveLoss(e, labels, 1))).toBeCloseTo(pull + push, 5);
    e.dispose();
  });
});
