/**
 * Feature maps and filters laid out as one image of tiles, as torchvision's `make_grid` lays out
 * a batch: 8 tiles a row, 2 pixels of black between and around them. Each tile is scaled up by
 * whole pixels (nearest neighbour) so a 3 × 3 kernel or an 8 × 8 map is still visible.
 */

/** Tiles per row, torchvision's `make_grid` default (nrow=8). */
export const GRID_TILES_PER_ROW = 8;
/** Black pixels between and around tiles, `make_grid`'s default padding. */
export const GRID_GAP = 2;
/** A tile's shorter side is scaled up to at least this many pixels. */
export const MIN_TILE_SIDE = 32;

export interface Tile {
  /** Row-major, `channels` interleaved, each value in [0, 1]. */
  values: Float32Array;
  rows: number;
  columns: number;
}

export interface Grid {
  /** 8-bit, row-major, `channels` interleaved. */
  pixels: Uint8Array;
  rows: number;
  columns: number;
  channels: 1 | 3;
}

/** Whole-pixel scale that brings a `rows × columns` tile's shorter side to at least MIN_TILE_SIDE. */
export function tileScale(rows: number, columns: number): number {
  return Math.max(1, Math.ceil(MIN_TILE_SIDE / Math.min(rows, columns)));
}

/** Tiles of one size in rows of GRID_TILES_PER_ROW, scaled by `tileScale`. */
export function tileGrid(tiles: readonly Tile[], rows: number, columns: number, channels: 1 | 3): Grid {
  const scale = tileScale(rows, columns);
  const across = Math.min(GRID_TILES_PER_ROW, Math.max(1, tiles.length));
  const down = Math.max(1, Math.ceil(tiles.length / across));
  const cellRows = rows * scale + GRID_GAP;
  const cellColumns = columns * scale + GRID_GAP;
  const grid: Grid = {
    rows: down * cellRows + GRID_GAP,
    columns: across * cellColumns + GRID_GAP,
    channels,
    pixels: new Uint8Array(0),
  };
  grid.pixels = new Uint8Array(grid.rows * grid.columns * channels);
  tiles.forEach((tile, n) => {
    const top = GRID_GAP + Math.floor(n / across) * cellRows;
    const left = GRID_GAP + (n % across) * cellColumns;
    for (let y = 0; y < rows * scale; y++) {
      for (let x = 0; x < columns * scale; x++) {
        const from = (Math.floor(y / scale) * columns + Math.floor(x / scale)) * channels;
        const to = ((top + y) * grid.columns + left + x) * channels;
        for (let c = 0; c < channels; c++)
          grid.pixels[to + c] = Math.round(255 * Math.min(1, Math.max(0, tile.values[from + c]!)));
      }
    }
  });
  return grid;
}

/**
 * The first convolution's filters (`[filter][input channel][row][column]`) as tiles: each filter
 * scaled to [0, 1] by its own extremes over all its input channels (so an RGB filter keeps its
 * colour balance), its channels interleaved; grey for one input channel, RGB for three, and the
 * first channel in grey otherwise.
 */
export function filterTiles(
  weights: Float32Array,
  count: number,
  inputChannels: number,
  rows: number,
  columns: number,
): { tiles: Tile[]; channels: 1 | 3 } {
  const channels: 1 | 3 = inputChannels === 3 ? 3 : 1;
  const size = inputChannels * rows * columns;
  const tiles = Array.from({ length: count }, (_, f) => {
    const filter = weights.subarray(f * size, (f + 1) * size);
    let low = Infinity;
    let high = -Infinity;
    for (const w of filter) {
      if (w < low) low = w;
      if (w > high) high = w;
    }
    const span = high > low ? high - low : 1;
    const values = new Float32Array(rows * columns * channels);
    for (let p = 0; p < rows * columns; p++)
      for (let c = 0; c < channels; c++) values[p * channels + c] = (filter[c * rows * columns + p]! - low) / span;
    return { values, rows, columns };
  });
  return { tiles, channels };
}
