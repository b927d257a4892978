import { describe, expect, it } from 'vitest';
import { filterTiles, GRID_GAP, GRID_TILES_PER_ROW, MIN_TILE_SIDE, tileGrid, tileScale } from './feature-grid';

describe('feature grids', () => {
  it('scales small tiles up by whole pixels to at least MIN_TILE_SIDE', () => {
    expect(tileScale(3, 3)).toBe(Math.ceil(MIN_TILE_SIDE / 3));
    expect(tileScale(8, 16)).toBe(MIN_TILE_SIDE / 8);
    expect(tileScale(64, 64)).toBe(1);
  });

  it('lays tiles out in rows of GRID_TILES_PER_ROW with black gaps, nearest neighbour inside', () => {
    const count = GRID_TILES_PER_ROW + 1;
    const tiles = Array.from({ length: count }, (_, n) => ({
      values: Float32Array.from({ length: 32 * 32 }, (_, i) => (i === 0 ? n / count : 1)),
      rows: 32,
      columns: 32,
    }));
    const grid = tileGrid(tiles, 32, 32, 1);
    expect(grid.columns).toBe(GRID_TILES_PER_ROW * (32 + GRID_GAP) + GRID_GAP);
    expect(grid.rows).toBe(2 * (32 + GRID_GAP) + GRID_GAP);
    const at = (y: number, x: number) => grid.pixels[y * grid.columns + x];
    expect(at(0, 0)).toBe(0);
    expect(at(GRID_GAP, GRID_GAP + 1)).toBe(255);
    // The second row's first tile is tile 8; its first pixel carries its index.
    expect(at(GRID_GAP + 32 + GRID_GAP, GRID_GAP)).toBe(Math.round((255 * GRID_TILES_PER_ROW) / count));
    // Past the last tile of the second row: black.
    expect(at(grid.rows - GRID_GAP - 1, grid.columns - GRID_GAP - 1)).toBe(0);
  });

  it('draws an RGB filter by its own extremes over all channels, channels interleaved', () => {
    // One 1 × 2 filter on three input channels: [out][in][row][column].
    const weights = Float32Array.of(-1, 1, 0, 0, 3, -1);
    const { tiles, channels } = filterTiles(weights, 1, 3, 1, 2);
    expect(channels).toBe(3);
    expect(Array.from(tiles[0]!.values)).toEqual([0, 0.25, 1, 0.5, 0.25, 0]);
    const grey = filterTiles(Float32Array.of(2, 4, 2, 2), 2, 1, 1, 2);
    expect(grey.channels).toBe(1);
    expect(Array.from(grey.tiles[0]!.values)).toEqual([0, 1]);
    expect(Array.from(grey.tiles[1]!.values)).toEqual([0, 0]);
  });
});
