import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../data/random';
import { runReference } from '../../tests/helpers/python-reference';
import { SegmentationMetrics } from './segmentation';

interface Reference {
  dice: (number | null)[];
  iou: (number | null)[];
  images: number[];
  pooledDice: (number | null)[];
  pooledIou: (number | null)[];
  pixelAccuracy: number;
}

/** A blob of class `c` in a flattened side × side map. */
function blob(map: number[], side: number, c: number, rng: SeededRandom): void {
  const x0 = rng.int(side - 2);
  const y0 = rng.int(side - 2);
  const w = 1 + rng.int(side - x0 - 1);
  const h = 1 + rng.int(side - y0 - 1);
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) map[y * side + x] = c;
}

function makeCase(rng: SeededRandom, k: number, images: number, side: number, absentClass: number | null) {
  const truth: number[][] = [];
  const predicted: number[][] = [];
  for (let i = 0; i < images; i++) {
    const t = new Array<number>(side * side).fill(0);
    const p = new Array<number>(side * side).fill(0);
    for (let c = 1; c < k; c++) {
      if (c === absentClass) continue;
      // Some images lack a class in the truth (the empty-mask convention), some predictions miss or invent one.
      if (rng.chance(0.7)) blob(t, side, c, rng);
      if (rng.chance(0.7)) blob(p, side, c, rng);
    }
    truth.push(t);
    predicted.push(p);
  }
  return { kind: 'segmentation', classes: k, truth, predicted };
}

describe('segmentation metrics match scikit-learn with MONAI conventions', () => {
  const rng = new SeededRandom(7);
  const cases = [
    makeCase(rng, 2, 6, 8, null),
    makeCase(rng, 3, 8, 6, null),
    makeCase(rng, 4, 5, 7, 2),
    // Ground truth empty everywhere; the model invents a lesion in one image.
    {
      kind: 'segmentation',
      classes: 2,
      truth: [new Array(16).fill(0), new Array(16).fill(0)],
      predicted: [new Array(16).fill(0), [1, ...new Array(15).fill(0)]],
    },
  ];
  const references = runReference<Reference[]>('sklearn_metrics.py', cases);

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (i, c) => {
    const ref = references[i]!;
    const metrics = new SegmentationMetrics(Array.from({ length: c.classes }, (_, k) => `class ${k}`));
    c.truth.forEach((t, j) => metrics.add(Uint8Array.from(t), Uint8Array.from(c.predicted[j]!)));
    const report = metrics.report('test');
    report.perClass.forEach((pc, k) => {
      for (const key of ['dice', 'iou', 'pooledDice', 'pooledIou'] as const) {
        if (ref[key][k] === null) expect(pc[key], `${key}[${k}]`).toBeNull();
        else expect(pc[key], `${key}[${k}]`).toBeCloseTo(ref[key][k]!, 12);
      }
      expect(pc.images).toBe(ref.images[k]);
    });
    expect(report.pixelAccuracy).toBeCloseTo(ref.pixelAccuracy, 12);
  });

  it('documents the empty-mask conventions on a hand-made case', () => {
    const metrics = new SegmentationMetrics(['background', 'lesion']);
    // Image 1: lesion in truth, half found. Image 2: no lesion, none predicted. Image 3: no lesion, one false pixel.
    metrics.add(Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([1, 0, 0, 0]));
    metrics.add(Uint8Array.from([0, 0, 0, 0]), Uint8Array.from([0, 0, 0, 0]));
    const scores = metrics.add(Uint8Array.from([0, 0, 0, 0]), Uint8Array.from([0, 0, 0, 1]));
    expect(scores.dice[1]).toBeNull();
    const report = metrics.report('test');
    const lesion = report.perClass[1]!;
    // Only image 1 counts towards the per-image mean (MONAI ignore_empty=True).
    expect(lesion.images).toBe(1);
    expect(lesion.dice).toBeCloseTo(2 / 3, 12);
    // Pooled: tp 1, fp 1, fn 1 → 2/4; the false pixel of image 3 counts here.
    expect(lesion.pooledDice).toBeCloseTo(0.5, 12);
    expect(report.meanDice).toBeCloseTo(2 / 3, 12);
    const none = new SegmentationMetrics(['background', 'lesion']);
    none.add(Uint8Array.from([0, 0]), Uint8Array.from([0, 0]));
    const empty = none.report('test');
    expect(empty.perClass[1]).toMatchObject({ dice: null, iou: null, pooledDice: null, pooledIou: null, images: 0 });
    expect(empty.meanDice).toBeNull();
  });
});
