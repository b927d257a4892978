/** Per-box maps of a detector and pair maps of a verification model: what they explain and where they land. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessingSpecSchema, type DecodedFrame, type TaskKind } from '../../contract/index';
import { randomiseWeights } from '../../tests/helpers/torch-twin';
import { preprocessFrame } from '../data/preprocessing';
import { SeededRandom } from '../data/random';
import { detectionsOfOutput } from '../detection/detect';
import { outputOfBatch } from '../model-io/inference-model';
import { buildCenterNetDetector, buildSiameseEmbedding } from '../models/index';
import { embed } from '../siamese/embedding';
import { onFrame } from '../train/tasks/detection-evaluation';
import type { ExplainedCard } from './explain-classification';
import { explainDetection } from './explain-detection';
import { explainVerification } from './explain-verification';

const SIDE = 32;
const CLASSES = ['crack', 'pore'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function card(task: TaskKind, classes: string[]): ExplainedCard {
  return {
    task,
    classes,
    input: { rows: SIDE, columns: SIDE, channels: 1 },
    preprocessing: preprocessingSpecSchema.parse({
      rows: SIDE,
      columns: SIDE,
      resize: 'pad',
      intensity: { mode: 'range', min: 0, max: 255 },
    }),
  };
}

function frame(rows: number, columns: number, seed: number): DecodedFrame {
  const data = Uint8Array.from({ length: rows * columns }, (_, i) => (i * 37 + seed * 101) % 256);
  return { data, rows, columns, samplesPerPixel: 1, rescaleSlope: 1, rescaleIntercept: 0 } as DecodedFrame;
}

describe('detection: one map per box', () => {
  it('explains the boxes predict finds, best first, each on the frame with its own map', async () => {
    const model = buildCenterNetDetector({
      inputShape: [SIDE, SIDE, 1],
      numClasses: 2,
      backbone: { architecture: 'small-cnn', filters: [4, 8, 8] },
      headChannels: 8,
    });
    randomiseWeights(model, new SeededRandom(3));
    const detector = card('detection', CLASSES);
    const image = frame(40, 48, 1);
    const before = tf.memory().numTensors;
    const explained = await explainDetection(model, detector, image, { method: 'gradcam', maxBoxes: 4 });
    expect(tf.memory().numTensors).toBe(before);

    const { input, placement } = preprocessFrame(image, detector.preprocessing);
    const batch = tf.tensor4d(input, [1, SIDE, SIDE, 1]);
    const output = outputOfBatch(model, batch) as tf.Tensor;
    const [found] = await detectionsOfOutput(
      { data: (await output.data()) as Float32Array, dims: output.shape },
      SIDE,
      SIDE,
      {
        numClasses: 2,
      },
    );
    tf.dispose([batch, output]);
    const expected = found!.map((d) => onFrame(d, { placement, frameRows: 40, frameColumns: 48 }));
    expect(expected.length).toBeGreaterThan(4);
    expect(explained.boxesLeftOut).toBe(expected.length - 4);
    expect(explained.boxes.map((b) => [[...b.box], b.score, b.classIndex])).toEqual(
      expected.slice(0, 4).map((d) => [d.box, d.score, d.classId]),
    );
    for (const box of explained.boxes) {
      expect([box.heatmap.rows, box.heatmap.columns]).toEqual([40, 48]);
      expect(Math.max(...box.heatmap.values)).toBeLessThanOrEqual(1);
      expect(Math.min(...box.heatmap.values)).toBeGreaterThanOrEqual(0);
      expect(box.peak[0]).toBeLessThan(48);
      expect(box.peak[1]).toBeLessThan(40);
    }
    // Each box differentiates its own cell: two boxes, two maps.
    const [first, second] = explained.boxes;
    expect(Array.from(first!.featureHeatmap.values)).not.toEqual(Array.from(second!.featureHeatmap.values));
    model.dispose();
  });

  it('refuses another kind of model', async () => {
    const model = buildSiameseEmbedding({
      inputShape: [SIDE, SIDE, 1],
      backbone: { architecture: 'small-cnn', filters: [4] },
    });
    await expect(
      explainDetection(model, card('verification', []), frame(SIDE, SIDE, 0), { method: 'gradcam' }),
    ).rejects.toThrow(/for detection models; the model is for verification/);
    model.dispose();
  });
});

describe('verification: a similarity map on each image of the pair', () => {
  it('gives the embeddings’ cosine, one map per image at its size, and swaps with the pair', async () => {
    const model = buildSiameseEmbedding({
      inputShape: [SIDE, SIDE, 1],
      backbone: { architecture: 'small-cnn', filters: [4, 8] },
      embeddingDim: 8,
    });
    randomiseWeights(model, new SeededRandom(9));
    const verifier = card('verification', []);
    const a = frame(40, 48, 1);
    const b = frame(32, 24, 2);
    const before = tf.memory().numTensors;
    const ab = await explainVerification(model, verifier, a, b, { method: 'gradcam' });
    expect(tf.memory().numTensors).toBe(before);
    const inputs = [a, b].map((f) => preprocessFrame(f, verifier.preprocessing).input);
    const batch = tf.tensor4d(Float32Array.from([...inputs[0]!, ...inputs[1]!]), [2, SIDE, SIDE, 1]);
    const [ea, eb] = await embed(model, batch);
    batch.dispose();
    const cosine = ea!.reduce((sum, v, i) => sum + v * eb![i]!, 0);
    expect(ab.similarity).toBeCloseTo(cosine, 5);
    expect([ab.a.heatmap.rows, ab.a.heatmap.columns]).toEqual([40, 48]);
    expect([ab.b.heatmap.rows, ab.b.heatmap.columns]).toEqual([32, 24]);
    const ba = await explainVerification(model, verifier, b, a, { method: 'gradcam' });
    expect(ba.similarity).toBeCloseTo(ab.similarity, 6);
    expect(Array.from(ba.a.featureHeatmap.values)).toEqual(Array.from(ab.b.featureHeatmap.values));
    expect(Array.from(ba.b.featureHeatmap.values)).toEqual(Array.from(ab.a.featureHeatmap.values));
    model.dispose();
  });
});
