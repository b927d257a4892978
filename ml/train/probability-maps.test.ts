import { describe, expect, it } from 'vitest';
import { classProbabilities, probabilitiesOnFrame } from './probability-maps';

describe('classProbabilities', () => {
  it('splits one sigmoid channel into background 1 − q and foreground q', () => {
    const maps = classProbabilities(Float32Array.from([0, 2, -1]), 0, 3, 1, 2);
    const q = (z: number): number => 1 / (1 + Math.exp(-z));
    [0, 2, -1].forEach((z, p) => {
      expect(maps[p]).toBeCloseTo(1 - q(z), 6);
      expect(maps[3 + p]).toBeCloseTo(q(z), 6);
    });
  });

  it('softmaxes several channels per pixel, class after class', () => {
    // Two pixels, three channels, interleaved as the model outputs them (after an offset).
    const logits = Float32Array.from([9, 1, 2, 3, 0, 0, 0]);
    const maps = classProbabilities(logits, 1, 2, 3, 3);
    const first = [1, 2, 3].map(Math.exp);
    const sum = first.reduce((a, b) => a + b, 0);
    expect(maps[0]).toBeCloseTo(first[0]! / sum, 6);
    expect(maps[2]).toBeCloseTo(first[1]! / sum, 6);
    expect(maps[4]).toBeCloseTo(first[2]! / sum, 6);
    expect(maps[1]).toBeCloseTo(1 / 3, 6);
  });
});

describe('probabilitiesOnFrame', () => {
  it('keeps the maps as they are when the frame is the input (no resize, no padding)', () => {
    const maps = Float32Array.from({ length: 2 * 12 }, (_, i) => (i % 7) / 7);
    const input = { rows: 3, columns: 4 };
    const placement = { top: 0, left: 0, height: 3, width: 4 };
    const out = probabilitiesOnFrame(maps, 2, input, placement, input);
    out.forEach((v, i) => expect(v).toBeCloseTo(maps[i]!, 6));
  });

  it('crops the padding away: a frame padded at the bottom reads only its own rows', () => {
    // Input 4×2 with the frame in its top 2 rows; the padding rows hold 1s that must not leak in.
    const maps = Float32Array.from([0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1]);
    const out = probabilitiesOnFrame(
      maps,
      1,
      { rows: 4, columns: 2 },
      { top: 0, left: 0, height: 2, width: 2 },
      {
        rows: 2,
        columns: 2,
      },
    );
    expect(Array.from(out).map((v) => Number(v.toFixed(6)))).toEqual([0.2, 0.4, 0.6, 0.8]);
  });
});
