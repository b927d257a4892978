/** Iso-lines against scikit-image's find_contours, and Dice against numpy (tests/reference/skimage_contours.py). */
import { describe, expect, it } from 'vitest';
import { runReference, seededRandom } from '../../tests/reference/run';
import { diceOf, isoLines, meanDice } from './index';

const random = seededRandom(20261204);

/** A smooth field with blobs (several closed contours, saddles between them) plus noise. */
function field(width: number, height: number): number[] {
  const centres = Array.from({ length: 4 }, () => [random() * width, random() * height, 2 + random() * 5]);
  return Array.from({ length: width * height }, (_, i) => {
    const x = i % width;
    const y = Math.floor(i / width);
    const bump = centres.reduce((s, [cx, cy, r]) => s + Math.exp(-((x - cx!) ** 2 + (y - cy!) ** 2) / (r! * r!)), 0);
    return Math.min(1, bump) * 0.9 + random() * 0.1;
  });
}

/** Segments are float32 here and float64 in skimage: endpoints agree to this, in pixels. */
const TOLERANCE = 1e-4;

type Segment = [number, number, number, number];

function segments(flat: ArrayLike<number>): Segment[] {
  const out: Segment[] = [];
  for (let s = 0; s < flat.length; s += 4) out.push([flat[s]!, flat[s + 1]!, flat[s + 2]!, flat[s + 3]!]);
  return out;
}

const close = (a: Segment, b: Segment): boolean =>
  a.every((v, i) => Math.abs(v - b[i]!) < TOLERANCE) ||
  [b[2], b[3], b[0], b[1]].every((v, i) => Math.abs(v - a[i]!) < TOLERANCE);

/** The segments of `ours` that no segment of `theirs` matches (each matched once, direction ignored). */
function unmatched(ours: Segment[], theirs: Segment[]): Segment[] {
  const left = [...theirs];
  return ours.filter((s) => {
    const k = left.findIndex((t) => close(s, t));
    if (k < 0) return true;
    left.splice(k, 1);
    return false;
  });
}

const sizes: [number, number][] = [
  [12, 9],
  [24, 17],
  [40, 40],
];
/** Levels as quantiles of each map's values, so every case has lines to compare. */
const quantiles = [0.5, 0.8, 0.2];
const cases = sizes.flatMap(([width, height]) =>
  quantiles.map((q) => {
    const values = field(width, height);
    const level = [...values].sort((a, b) => a - b)[Math.floor(q * values.length)]! + 1e-6;
    return { op: 'contours', width, height, level, values };
  }),
);
// A checkerboard: every square a saddle, the case the connectivity rule decides.
cases.push({
  op: 'contours',
  width: 6,
  height: 6,
  level: 0.5,
  values: Array.from({ length: 36 }, (_, i) => (((i % 6) + Math.floor(i / 6)) % 2 === 0 ? 0.8 : 0.1)),
});

describe('isoLines', () => {
  const expected = runReference<number[][]>('skimage_contours.py', cases);
  cases.forEach((c, k) => {
    it(`matches skimage.measure.find_contours on ${c.width}×${c.height} at ${c.level.toFixed(3)}`, () => {
      const ours = segments(isoLines(c.values, c.width, c.height, c.level));
      const theirs = segments(expected[k]!.flat());
      expect(theirs.length).toBeGreaterThan(0);
      expect(ours.length).toBe(theirs.length);
      expect(unmatched(ours, theirs)).toEqual([]);
    });
  });

  it('refuses a map of the wrong size', () => {
    expect(() => isoLines([0, 1, 2], 2, 2, 0.5)).toThrow(/3 values; 2×2 needs 4/);
  });
});

describe('diceOf', () => {
  const masks = Array.from({ length: 6 }, () => {
    const a = Array.from({ length: 64 }, () => Math.floor(random() * 3));
    const b = a.map((v) => (random() < 0.3 ? Math.floor(random() * 3) : v));
    return { op: 'dice', a, b, value: 1 + Math.floor(random() * 2) };
  });
  masks.push({ op: 'dice', a: [0, 0, 0], b: [0, 0, 0], value: 1 });
  const expected = runReference<number | null>('skimage_contours.py', masks);
  it('matches numpy, null when neither mask has the value', () => {
    masks.forEach((m, k) => {
      const ours = diceOf(m.a, m.b, m.value);
      if (expected[k] === null) expect(ours).toBeNull();
      else expect(ours).toBeCloseTo(expected[k]!, 12);
    });
  });

  it('averages over the classes either mask has', () => {
    expect(meanDice([1, 1, 2, 0], [1, 0, 2, 2])).toBeCloseTo((2 / 3 + 2 / 3) / 2, 12);
    expect(meanDice([0, 0], [0, 0])).toBeNull();
  });
});
