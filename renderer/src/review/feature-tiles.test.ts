import { describe, expect, it } from 'vitest';
import { channelGreyPixels, channelOnFrame, type FeatureMaps } from './feature-tiles';

/** Two 2 × 2 channels over a 4 × 4 input (stride 2); the second constant. */
const maps: FeatureMaps = {
  activations: Float32Array.of(-1, 1, 3, 5, 7, 7, 7, 7),
  rows: 2,
  columns: 2,
  input: { rows: 4, columns: 4 },
  placement: { top: 0, left: 0, height: 4, width: 4 },
  count: 2,
  total: 2,
};

describe('feature tiles', () => {
  it('draws a channel in grey by its own extremes; a constant channel is black', () => {
    const out = new Uint8ClampedArray(16);
    channelGreyPixels(maps, 0, out);
    expect([out[0], out[4], out[8], out[12]]).toEqual([0, 85, 170, 255]);
    expect(out[3]).toBe(255);
    channelGreyPixels(maps, 1, out);
    expect([out[0], out[12]]).toEqual([0, 0]);
  });

  it('lays a channel on the frame bilinearly between cell centres, through the placement', () => {
    // A 4 × 4 frame on the whole input: pixel centres 0.5 … 3.5, cell centres at 1 and 3.
    const onFrame = channelOnFrame(maps, 0, 4, 4);
    expect(Array.from(onFrame.subarray(0, 4)).map((v) => +v.toFixed(4))).toEqual([0, 0.0833, 0.25, 0.3333]);
    expect(onFrame[15]).toBeCloseTo(1, 6);
    // A 2-row frame padded into input rows 1..2 (a `pad` placement) lies between the two cell rows.
    const padded = channelOnFrame({ ...maps, placement: { top: 1, left: 0, height: 2, width: 4 } }, 0, 2, 1);
    // Its pixel centres sit at input (2, 1.5) and (2, 2.5): a quarter and three quarters of the way
    // from the top cells' mean (1/6) to the bottom cells' (5/6).
    expect(padded[0]).toBeCloseTo(1 / 3, 6);
    expect(padded[1]).toBeCloseTo(2 / 3, 6);
  });
});
