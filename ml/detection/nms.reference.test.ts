/**
 * Loupe's NMS against torchvision.ops.nms / batched_nms (Debian python3-torchvision), on generated
 * cases built to hit the corners: score ties, zero-area boxes, identical and nested boxes, IoU
 * exactly at the threshold, thresholds 0 and 1, empty input, and cases above 1000 boxes (where
 * batched_nms switches to its per-class loop). Results must be identical, order included, except
 * the order among equal scores in that per-class loop, which torchvision leaves unspecified.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom, randomInt } from '../../tests/fixtures/detection-random';
import { runPythonReference } from '../../tests/reference/run-python-reference';
import { batchedNms, nms } from './nms';

interface NmsCase {
  name: string;
  boxes: number[];
  scores: number[];
  classIds: number[];
  iou: number;
}

function randomCase(
  name: string,
  seed: number,
  n: number,
  opts: { grid?: number; scoreLevels?: number; classes?: number; zeroArea?: number; duplicates?: number; iou: number },
): NmsCase {
  const random = seededRandom(seed);
  const boxes: number[] = [];
  const scores: number[] = [];
  const classIds: number[] = [];
  const coord = () => (opts.grid ? Math.round(random() * 100 * opts.grid) / opts.grid : random() * 100);
  for (let i = 0; i < n; i++) {
    if (opts.duplicates && i > 0 && random() < opts.duplicates) {
      const j = randomInt(random, 0, i - 1);
      boxes.push(...boxes.slice(4 * j, 4 * j + 4));
    } else {
      const x = coord();
      const y = coord();
      const zero = opts.zeroArea && random() < opts.zeroArea;
      const w = zero ? 0 : 1 + coord() * 0.4;
      const h = zero && random() < 0.5 ? 5 : zero ? 0 : 1 + coord() * 0.4;
      boxes.push(x, y, x + w, y + h);
    }
    scores.push(
      Math.fround(opts.scoreLevels ? randomInt(random, 0, opts.scoreLevels - 1) / opts.scoreLevels : random()),
    );
    classIds.push(randomInt(random, 0, (opts.classes ?? 1) - 1));
  }
  return { name, boxes: boxes.map(Math.fround), scores, classIds, iou: opts.iou };
}

const handmade: NmsCase[] = [
  { name: 'empty', boxes: [], scores: [], classIds: [], iou: 0.5 },
  // IoU exactly 0.5: kept at threshold 0.5 (suppression needs IoU > threshold), removed at 0.49.
  { name: 'iou at threshold', boxes: [0, 0, 2, 1, 0, 0, 1, 1], scores: [0.9, 0.8], classIds: [0, 0], iou: 0.5 },
  {
    name: 'iou just above threshold',
    boxes: [0, 0, 2, 1, 0, 0, 1, 1],
    scores: [0.9, 0.8],
    classIds: [0, 0],
    iou: 0.49,
  },
  {
    name: 'identical boxes, identical scores',
    boxes: Array.from({ length: 6 }, () => [3, 3, 9, 9]).flat(),
    scores: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    classIds: [0, 1, 0, 1, 0, 1],
    iou: 0.5,
  },
  {
    name: 'zero-area pair at one point',
    boxes: [4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 10, 10],
    scores: [0.9, 0.8, 0.7],
    classIds: [0, 0, 0],
    iou: 0,
  },
  {
    name: 'nested boxes, threshold 0',
    boxes: [0, 0, 10, 10, 2, 2, 4, 4, 20, 20, 30, 30],
    scores: [0.6, 0.9, 0.1],
    classIds: [0, 0, 0],
    iou: 0,
  },
  {
    name: 'threshold 1 keeps everything',
    boxes: [0, 0, 10, 10, 0, 0, 10, 10],
    scores: [0.3, 0.7],
    classIds: [0, 0],
    iou: 1,
  },
  {
    name: 'inverted corners',
    boxes: [10, 10, 0, 0, 0, 0, 10, 10, 5, 5, 2, 8],
    scores: [0.9, 0.8, 0.7],
    classIds: [0, 0, 0],
    iou: 0.3,
  },
];

const generated: NmsCase[] = [
  ...[0, 0.3, 0.5, 0.7].map((iou, k) => randomCase(`random ${iou}`, 11 + k, 120, { iou, classes: 3 })),
  ...[0.3, 0.5].map((iou, k) =>
    randomCase(`ties on a grid ${iou}`, 21 + k, 150, { iou, grid: 2, scoreLevels: 5, classes: 4 }),
  ),
  randomCase('all scores equal', 31, 80, { iou: 0.4, scoreLevels: 1, grid: 1, classes: 2 }),
  randomCase('zero-area boxes', 41, 100, { iou: 0.5, zeroArea: 0.3, scoreLevels: 8, classes: 2 }),
  randomCase('duplicated boxes', 51, 100, { iou: 0.5, duplicates: 0.4, scoreLevels: 6, classes: 3 }),
  randomCase('large batched (per-class loop)', 61, 1200, { iou: 0.5, classes: 5, grid: 4 }),
  randomCase('large batched with ties', 71, 1500, { iou: 0.5, classes: 3, grid: 2, scoreLevels: 10 }),
];

/** torchvision.ops.batched_nms switches from one offset-box NMS to a per-class loop above 4000 numbers (1000 boxes) on the CPU. */
const TORCHVISION_VANILLA_BATCHED_NMS_ABOVE = 4000;

describe('nms and batchedNms equal torchvision.ops', () => {
  const cases = [...handmade, ...generated];
  const reference = runPythonReference<{ results: { nms: number[]; batched: number[] }[] }>('torchvision_nms.py', {
    cases: cases.map((c) => ({ boxes: c.boxes, scores: c.scores, classIds: c.classIds, iou: c.iou })),
  });

  it.each(cases.map((c, i) => [c.name, c, reference.results[i]!] as const))('%s', (_name, c, ref) => {
    expect(nms(c.boxes, c.scores, c.iou)).toEqual(ref.nms);
    const batched = batchedNms(c.boxes, c.scores, c.classIds, c.iou);
    if (c.boxes.length > TORCHVISION_VANILLA_BATCHED_NMS_ABOVE) {
      // Above this size torchvision loops over classes and re-sorts with torch.sort, which is not
      // stable: the same boxes come back, in score order, but equal scores in no promised order.
      expect([...batched].sort((a, b) => a - b)).toEqual([...ref.batched].sort((a, b) => a - b));
      expect(ref.batched.map((i) => c.scores[i])).toEqual(batched.map((i) => c.scores[i]));
    } else {
      expect(batched).toEqual(ref.batched);
    }
  });

  it('the generated cases really contain ties and suppressions', () => {
    const tied = cases.filter((c) => new Set(c.scores).size < c.scores.length).length;
    const suppressing = cases.filter((c, i) => reference.results[i]!.nms.length < c.scores.length).length;
    expect(tied).toBeGreaterThanOrEqual(6);
    expect(suppressing).toBeGreaterThanOrEqual(8);
  });
});
