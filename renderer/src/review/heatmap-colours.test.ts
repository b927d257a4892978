import { describe, expect, it } from 'vitest';
import { COLOUR_MAP_ENTRIES, colourHeatmap, colourTable } from './heatmap-colours';

describe('heatmap colouring', () => {
  it('leaves values under the threshold transparent and colours the rest opaque', () => {
    const values = new Float32Array([0, 0.2, 0.5, 1, Number.NaN]);
    const out = new Uint8ClampedArray(4 * values.length).fill(7);
    colourHeatmap(values, 'inferno', 0.5, out);
    expect([out[3], out[7], out[11], out[15], out[19]]).toEqual([0, 0, 255, 255, 0]);
    const table = colourTable('inferno');
    const top = 3 * (COLOUR_MAP_ENTRIES - 1);
    expect([...out.subarray(12, 15)]).toEqual([table[top], table[top + 1], table[top + 2]]);
    colourHeatmap(values, 'inferno', 0, out);
    expect(out[3]).toBe(255);
  });
});
