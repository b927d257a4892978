/**
 * The mask overlay's pixels: a 256-entry palette (mask value → RGBA, hidden classes and the
 * background transparent) and the colouring of one rectangle of the mask into RGBA. A brush
 * stroke recolours only the rectangle it touched, so a pointer event on a 2048² mask costs a few
 * thousand pixels, not four million; whole repaints happen only for fills, undo and loading.
 */
import type { LabelMask } from '../../../contract/geometry/index';
import type { LabelClass } from '../../../contract/index';

/** The byte order of a Uint32Array over RGBA bytes (little-endian on every machine Loupe runs on, checked anyway). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function packRgba(r: number, g: number, b: number, a: number): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/** Palette for a segmentation task's classes: opaque class colours (the layer's opacity does the blending). */
export function maskPalette(
  classes: readonly Pick<LabelClass, 'id' | 'maskIndex' | 'color'>[],
  hidden: ReadonlySet<number> = new Set(),
): Uint32Array {
  const palette = new Uint32Array(256);
  for (const c of classes) {
    if (c.maskIndex === null || hidden.has(c.id)) continue;
    const value = Number.parseInt(c.color.slice(1), 16);
    palette[c.maskIndex] = packRgba((value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff, 255);
  }
  return palette;
}

export interface PixelRect {
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

/** The rectangle clipped to the mask; null when nothing is left. */
export function clipRect(rect: PixelRect, width: number, height: number): PixelRect | null {
  const x0 = Math.max(0, Math.floor(rect.x0));
  const y0 = Math.max(0, Math.floor(rect.y0));
  const x1 = Math.min(width, Math.ceil(rect.x1));
  const y1 = Math.min(height, Math.ceil(rect.y1));
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : null;
}

/** The pixels a brush segment from a to b of radius r can touch (one pixel of margin). */
export function segmentRect(a: { x: number; y: number }, b: { x: number; y: number }, radius: number): PixelRect {
  return {
    x0: Math.min(a.x, b.x) - radius - 1,
    y0: Math.min(a.y, b.y) - radius - 1,
    x1: Math.max(a.x, b.x) + radius + 1,
    y1: Math.max(a.y, b.y) + radius + 1,
  };
}

/** Colours `rect` of the mask into `out`, RGBA of exactly the rectangle's size (ImageData.data). */
export function colourMaskRect(mask: LabelMask, palette: Uint32Array, rect: PixelRect, out: Uint8ClampedArray): void {
  const width = rect.x1 - rect.x0;
  const pixels = new Uint32Array(out.buffer, out.byteOffset, width * (rect.y1 - rect.y0));
  let k = 0;
  for (let y = rect.y0; y < rect.y1; y++) {
    const row = y * mask.width;
    for (let x = rect.x0; x < rect.x1; x++) pixels[k++] = palette[mask.data[row + x]!]!;
  }
}

/** Mask values present (1–255), for the grid's badges: one pass over the mask. */
export function maskValuesPresent(mask: LabelMask): number[] {
  const seen = new Uint8Array(256);
  const data = mask.data;
  for (let i = 0; i < data.length; i++) seen[data[i]!] = 1;
  const out: number[] = [];
  for (let v = 1; v < 256; v++) if (seen[v]) out.push(v);
  return out;
}
