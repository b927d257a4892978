/**
 * The Review heatmap's colour maps (renderer/src/review/heatmap-colours.ts) against matplotlib's
 * own tables, through Debian's Python: here rather than beside the module because the renderer's
 * tests run without Node's APIs.
 */
import { describe, expect, it } from 'vitest';
import { COLOUR_MAP_ENTRIES, HEATMAP_COLOUR_MAPS, colourTable } from '../../renderer/src/review/heatmap-colours';
import { runReference } from '../helpers/python-reference';

/** 33 interpolated stops stay this close to matplotlib's 256-level tables (0–1 units; measured 0.017 worst, inferno). */
const FIT_TOLERANCE = 0.02;

describe('heatmap colour maps', () => {
  it('match matplotlib at every 8-bit level', () => {
    const points = Array.from({ length: COLOUR_MAP_ENTRIES }, (_, i) => i / (COLOUR_MAP_ENTRIES - 1));
    const reference = runReference<Record<string, number[][]>>('matplotlib_colormaps.py', {
      maps: HEATMAP_COLOUR_MAPS,
      points,
    });
    for (const map of HEATMAP_COLOUR_MAPS) {
      const table = colourTable(map);
      let worst = 0;
      reference[map]!.forEach((rgb, i) =>
        rgb.forEach((value, c) => (worst = Math.max(worst, Math.abs(table[3 * i + c]! / 255 - value)))),
      );
      expect(worst, map).toBeLessThan(FIT_TOLERANCE);
    }
  });
});
