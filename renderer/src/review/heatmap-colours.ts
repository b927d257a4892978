/**
 * Colour maps for the Review heatmap and the colouring of a heatmap into RGBA. Turbo and inferno
 * are perceptually ordered (no false edges where the map is smooth); jet is here because many
 * radiology and Grad-CAM papers use it and readers compare against them. All three are checked
 * against matplotlib's tables in heatmap-colours.test.ts.
 */

export const HEATMAP_COLOUR_MAPS = ['turbo', 'inferno', 'jet'] as const;
export type HeatmapColourMap = (typeof HEATMAP_COLOUR_MAPS)[number];

/** Entries per table: one per 8-bit level, finer than any display shows. */
export const COLOUR_MAP_ENTRIES = 256;

type Rgb = [number, number, number];

/**
 * Turbo and inferno as 33 stops (every 8th of matplotlib 3.6's 256 levels, 0xRRGGBB), linearly
 * interpolated: within 0.02 of the full tables, where the published polynomial fits miss turbo's
 * ends by 0.13.
 */
const STOPS: Record<'turbo' | 'inferno', readonly number[]> = {
  turbo: [
    0x30123b, 0x392a73, 0x4040a2, 0x4456c7, 0x466be3, 0x4680f6, 0x4294ff, 0x37a8fa, 0x28bceb, 0x1ccdd8, 0x18ddc2,
    0x1fe9af, 0x32f298, 0x4ef97d, 0x6dfe62, 0x8bff4b, 0xa4fc3c, 0xb9f635, 0xcdec34, 0xdfdf37, 0xeecf3a, 0xf8be39,
    0xfdac34, 0xfe962b, 0xfb7e21, 0xf46617, 0xeb500e, 0xdf3f08, 0xd02f05, 0xbe2102, 0xa91601, 0x920b01, 0x7a0403,
  ],
  inferno: [
    0x000004, 0x040312, 0x0b0724, 0x150b37, 0x210c4a, 0x2f0a5b, 0x3d0965, 0x4a0c6b, 0x57106e, 0x64156e, 0x71196e,
    0x7d1e6d, 0x8a226a, 0x972766, 0xa32c61, 0xb0315b, 0xbc3754, 0xc73e4c, 0xd24644, 0xdb503b, 0xe45a31, 0xeb6628,
    0xf1731d, 0xf68013, 0xf98e09, 0xfb9d07, 0xfcac11, 0xfbbc21, 0xf9cb35, 0xf5db4c, 0xf2ea69, 0xf3f68a, 0xfcffa4,
  ],
};

function throughStops(stops: readonly number[]): (x: number) => Rgb {
  return (x) => {
    const at = x * (stops.length - 1);
    const k = Math.min(Math.floor(at), stops.length - 2);
    const f = at - k;
    const channel = (shift: number) =>
      (((stops[k]! >> shift) & 0xff) * (1 - f) + ((stops[k + 1]! >> shift) & 0xff) * f) / 255;
    return [channel(16), channel(8), channel(0)];
  };
}

/** Matplotlib's jet, from its segment data: [x, value] corners per channel. */
const JET: readonly (readonly [number, number][])[] = [
  [
    [0, 0],
    [0.35, 0],
    [0.66, 1],
    [0.89, 1],
    [1, 0.5],
  ],
  [
    [0, 0],
    [0.125, 0],
    [0.375, 1],
    [0.64, 1],
    [0.91, 0],
    [1, 0],
  ],
  [
    [0, 0.5],
    [0.11, 1],
    [0.34, 1],
    [0.65, 0],
    [1, 0],
  ],
];

function jet(x: number): Rgb {
  const channel = (corners: readonly [number, number][]) => {
    const k = Math.max(
      0,
      corners.findIndex(([at]) => at >= x),
    );
    if (k === 0) return corners[0]![1];
    const [x0, y0] = corners[k - 1]!;
    const [x1, y1] = corners[k]!;
    return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  };
  return [channel(JET[0]!), channel(JET[1]!), channel(JET[2]!)];
}

const CURVES: Record<HeatmapColourMap, (x: number) => Rgb> = {
  turbo: throughStops(STOPS.turbo),
  inferno: throughStops(STOPS.inferno),
  jet,
};

const tables = new Map<HeatmapColourMap, Uint8ClampedArray>();

/** The map as `COLOUR_MAP_ENTRIES` RGB triples (0–255), built once per map. */
export function colourTable(map: HeatmapColourMap): Uint8ClampedArray {
  let table = tables.get(map);
  if (!table) {
    table = new Uint8ClampedArray(COLOUR_MAP_ENTRIES * 3);
    for (let i = 0; i < COLOUR_MAP_ENTRIES; i++) {
      const rgb = CURVES[map](i / (COLOUR_MAP_ENTRIES - 1));
      for (let c = 0; c < 3; c++) table[3 * i + c] = Math.round(255 * rgb[c]!);
    }
    tables.set(map, table);
  }
  return table;
}

/** A CSS gradient of the map, for the key beside the heatmap. */
export function colourGradient(map: HeatmapColourMap, stops = 9): string {
  const table = colourTable(map);
  const colours = Array.from({ length: stops }, (_, k) => {
    const i = Math.round((k / (stops - 1)) * (COLOUR_MAP_ENTRIES - 1));
    return `rgb(${table[3 * i]}, ${table[3 * i + 1]}, ${table[3 * i + 2]})`;
  });
  return `linear-gradient(to right, ${colours.join(', ')})`;
}

/**
 * Colours a heatmap (values in [0, 1]) into `out` (RGBA, 4 bytes a value). Values below
 * `threshold` are transparent, so only the regions the model leaned on cover the image; the rest
 * is opaque and the layer's opacity does the blending.
 */
export function colourHeatmap(
  values: Float32Array,
  map: HeatmapColourMap,
  threshold: number,
  out: Uint8ClampedArray,
): void {
  const table = colourTable(map);
  const last = COLOUR_MAP_ENTRIES - 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const o = 4 * i;
    if (!(v >= threshold)) {
      out[o + 3] = 0;
      continue;
    }
    const entry = 3 * Math.round(Math.min(v, 1) * last);
    out[o] = table[entry]!;
    out[o + 1] = table[entry + 1]!;
    out[o + 2] = table[entry + 2]!;
    out[o + 3] = 255;
  }
}
