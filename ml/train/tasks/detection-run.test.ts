/**
 * Detection data on its way to the model: boxes placed with their image (stretch and pad), clipped
 * to the frame, hashed with the labels; boxes following every geometric augmentation into the
 * CenterNet targets; the running centre recall.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  preprocessingSpecSchema,
  trainingConfigSchema,
  trainingDatasetSchema,
  type TrainingDatasetInput,
} from '../../../contract/index';
import { boxToFrame, boxToInput } from '../../data/box-placement';
import { prepareDataset } from '../../data/dataset';
import { targetShape } from '../../detection/centernet-targets';
import { buildCenterNetDetector } from '../../models/index';
import { centreRecall, openDetectionRun } from './detection-run';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A dark frame with one bright rectangle [x1, y1, x2, y2]. */
function frameWithRectangle(rows: number, columns: number, box: [number, number, number, number]) {
  const data = new Uint8Array(rows * columns).fill(20);
  for (let y = box[1]; y < box[3]; y++) for (let x = box[0]; x < box[2]; x++) data[y * columns + x] = 230;
  return { data, rows, columns, samplesPerPixel: 1 as const };
}

function dataset(samples: TrainingDatasetInput['samples'], classes = ['part']): TrainingDatasetInput {
  return { task: 'detection', classes, samples };
}

const spec = (extra: object = {}) =>
  preprocessingSpecSchema.parse({ rows: 32, columns: 32, intensity: { mode: 'dtype' }, ...extra });
const expectBox = (actual: readonly number[], expected: readonly number[]) =>
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));

describe('boxes between frame and model input', () => {
  it('scale with a stretched frame and shift with a padded one, and map back exactly', async () => {
    const frame = frameWithRectangle(40, 80, [8, 4, 24, 20]);
    const sample = {
      id: 'a',
      split: 'train' as const,
      image: { frame },
      boxes: [{ box: [8, 4, 24, 20] as [number, number, number, number], classId: 0 }],
    };
    const stretched = await prepareDataset(trainingDatasetSchema.parse(dataset([sample])), spec());
    expectBox(stretched.splits.train[0]!.boxes![0]!.box, [3.2, 3.2, 9.6, 16]);
    const padded = await prepareDataset(trainingDatasetSchema.parse(dataset([sample])), spec({ resize: 'pad' }));
    // 80 × 40 → 32 × 16, centred: 8 rows of padding above.
    const placed = padded.splits.train[0]!;
    expect(placed.placement).toEqual({ top: 8, left: 0, height: 16, width: 32 });
    expectBox(placed.boxes![0]!.box, [3.2, 9.6, 9.6, 16]);
    expectBox(boxToFrame(placed.boxes![0]!.box, placed.placement, 40, 80), [8, 4, 24, 20]);
    expect(boxToInput([0, 0, 80, 40], placed.placement, 40, 80)).toEqual([0, 8, 32, 24]);
  });

  it('clips a box reaching past its frame and refuses one wholly outside it', async () => {
    const frame = frameWithRectangle(32, 32, [0, 0, 1, 1]);
    const inside = await prepareDataset(
      trainingDatasetSchema.parse(
        dataset([{ id: 'a', split: 'train', image: { frame }, boxes: [{ box: [-4, 20, 10, 40], classId: 0 }] }]),
      ),
      spec(),
    );
    expect(inside.splits.train[0]!.boxes![0]!.box).toEqual([0, 20, 10, 32]);
    const outside = trainingDatasetSchema.parse(
      dataset([{ id: 'b', split: 'train', image: { frame }, boxes: [{ box: [40, 0, 50, 10], classId: 0 }] }]),
    );
    await expect(prepareDataset(outside, spec())).rejects.toThrow(
      /Box 1 of image "b" \(\[40, 0, 50, 10\]\) lies outside its 32×32 frame/,
    );
  });

  it('changes the label hash when a box moves, and counts boxes per class', async () => {
    const frame = frameWithRectangle(32, 32, [4, 4, 12, 12]);
    const make = (x: number) =>
      trainingDatasetSchema.parse(
        dataset(
          [
            {
              id: 'a',
              split: 'train',
              image: { frame },
              boxes: [
                { box: [x, 4, 12, 12], classId: 1 },
                { box: [20, 20, 30, 30], classId: 1 },
              ],
            },
          ],
          ['a', 'b'],
        ),
      );
    const [one, two] = [await prepareDataset(make(4), spec()), await prepareDataset(make(5), spec())];
    expect(one.snapshot.labelHash).not.toBe(two.snapshot.labelHash);
    expect(one.snapshot.classCounts.train).toEqual([0, 2]);
  });
});

describe('detection training batches', () => {
  it('move every box with its image through flips, rotation, scale and shift: the target peak sits on the object', async () => {
    const box: [number, number, number, number] = [6, 8, 14, 20];
    const data = await prepareDataset(
      trainingDatasetSchema.parse(
        dataset([
          { id: 'a', split: 'train', image: { frame: frameWithRectangle(32, 32, box) }, boxes: [{ box, classId: 0 }] },
        ]),
      ),
      spec(),
    );
    const model = buildCenterNetDetector({
      inputShape: [32, 32, 1],
      numClasses: 1,
      backbone: { architecture: 'small-cnn', filters: [4, 4, 4] },
      headChannels: 4,
    });
    const config = trainingConfigSchema.parse({
      task: 'detection',
      model: { architecture: 'centernet', backbone: { architecture: 'small-cnn' } },
      preprocessing: { rows: 32, columns: 32 },
      loss: { name: 'centernet' },
      batchSize: 1,
      augment: { flipHorizontal: 0.5, flipVertical: 0.5, rotationDegrees: 30, scale: 0.2, shift: 0.1 },
    });
    const run = openDetectionRun(config, data, model);
    const [h, w, depth] = targetShape({ inputWidth: 32, inputHeight: 32, stride: 4, numClasses: 1 });
    const moved = new Set<string>();
    for (let epoch = 0; epoch < 12; epoch++) {
      const batch = run.trainingBatch({ indices: [0] }, epoch, 0);
      const [x, y] = [batch.x.dataSync(), batch.y.dataSync()];
      tf.dispose([batch.x, batch.y]);
      // The bright object's centroid in the augmented image, in input pixels.
      let [sx, sy, n] = [0, 0, 0];
      for (let i = 0; i < 32 * 32; i++) {
        if (x[i]! > 0.5) {
          sx += (i % 32) + 0.5;
          sy += Math.floor(i / 32) + 0.5;
          n++;
        }
      }
      const peak = Array.from({ length: h * w }, (_, cell) => cell).find((cell) => y[cell * depth] === 1)!;
      const [cx, cy] = [(peak % w) + y[peak * depth + 3]!, Math.floor(peak / w) + y[peak * depth + 4]!];
      expect(Math.abs(cx * 4 - sx / n)).toBeLessThan(1.5);
      expect(Math.abs(cy * 4 - sy / n)).toBeLessThan(1.5);
      // The target box (size in cells) covers the object's pixels: area within a rotation's growth.
      const area = y[peak * depth + 1]! * y[peak * depth + 2]! * 16;
      expect(area).toBeGreaterThanOrEqual(n * 0.9);
      expect(area).toBeLessThanOrEqual(n * 2.2);
      moved.add(`${Math.round(sx / n)},${Math.round(sy / n)}`);
    }
    expect(moved.size).toBeGreaterThan(6);
    model.dispose();
  });
});

describe('centre recall', () => {
  const geometry = { inputWidth: 8, inputHeight: 8, stride: 4, numClasses: 2 };
  // 2 × 2 cells; targets have classes + 5 channels, outputs classes + 4.
  const targets = new Float32Array(2 * 2 * 7);
  targets[0 * 7 + 0] = 1; // class 0 at cell (0, 0)
  targets[3 * 7 + 1] = 1; // class 1 at cell (1, 1)
  /** Heatmap scores [class 0, class 1] per cell; size and offset channels zero. */
  const outputs = (cells: number[][]) => Float32Array.from(cells.flatMap(([a, b]) => [a!, b!, 0, 0, 0, 0]));
  it.each([
    [
      'both peaks found',
      [
        [0.9, 0],
        [0, 0],
        [0, 0],
        [0, 0.8],
      ],
      1,
    ],
    [
      'one under the threshold',
      [
        [0.9, 0],
        [0, 0],
        [0, 0],
        [0, 0.2],
      ],
      0.5,
    ],
    [
      'one not a local maximum',
      [
        [0.5, 0],
        [0.7, 0],
        [0, 0],
        [0, 0.8],
      ],
      0.5,
    ],
  ])('%s', (_name, cells, expected) => {
    expect(centreRecall(outputs(cells as number[][]), targets, 1, geometry, 0.3)).toBe(expected);
  });
  it('is undefined for a batch without objects', () => {
    expect(centreRecall(new Float32Array(24), new Float32Array(28), 1, geometry, 0.3)).toBeNull();
  });
});
