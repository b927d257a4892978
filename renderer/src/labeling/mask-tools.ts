/**
 * The mask tools, as pure operations on a MaskStroke (so each is one undo step). The renderer's
 * screens call these with pointer positions already converted to source pixels.
 */
import {
  capsuleSpans,
  floodFillRegion,
  holesOf,
  rasterizePolygon,
  regionGrow,
  type Connectivity,
  type Point,
} from '../../../contract/geometry/index';
import type { MaskStroke } from './mask-edits';

/**
 * Brush radii the size keys ([ and ]) step through, in source pixels: roughly ×1.5 per step, so
 * a few presses go from a single pixel to a large organ.
 */
export const BRUSH_RADII = [0.5, 1, 2, 3, 5, 8, 12, 16, 24, 32, 48, 64, 96, 128] as const;

export function nextBrushRadius(current: number, direction: 1 | -1): number {
  const index = BRUSH_RADII.findIndex((r) => r >= current);
  const at = index < 0 ? BRUSH_RADII.length - 1 : index;
  return BRUSH_RADII[Math.min(BRUSH_RADII.length - 1, Math.max(0, at + direction))]!;
}

/**
 * Paints (or, with value 0, erases) from the previous pointer sample to this one. Erasing with a
 * class selected (`only`) removes only that class, leaving the others.
 */
export function brushSegment(
  stroke: MaskStroke,
  from: Point,
  to: Point,
  radius: number,
  value: number,
  only?: number,
): void {
  const spans = capsuleSpans(from, to, radius, stroke.mask.width, stroke.mask.height);
  if (only === undefined) stroke.paint(spans, value);
  else stroke.paintWhere(spans, only, value);
}

/** Fills a closed polygon (vertices in source pixels) with a class (even-odd, pixel centres). */
export function fillPolygon(stroke: MaskStroke, vertices: readonly Point[], value: number): void {
  if (vertices.length < 3) return;
  const ring = vertices.flatMap((p) => [p.x, p.y]);
  stroke.paint(rasterizePolygon([ring], stroke.mask.width, stroke.mask.height), value);
}

/** Paint bucket: the connected region of the clicked pixel's label becomes `value`. */
export function bucketFill(stroke: MaskStroke, at: Point, value: number, connectivity: Connectivity = 4): void {
  stroke.paint(floodFillRegion(stroke.mask, Math.floor(at.x), Math.floor(at.y), connectivity), value);
}

/** Fills the background holes enclosed by a class with that class. */
export function fillHoles(stroke: MaskStroke, label: number): void {
  stroke.paint(holesOf(stroke.mask, label), label);
}

export interface MagicWandArgs {
  /** How far a pixel's value may be from the seed's, in the image's own units (e.g. HU, raw 16-bit). */
  tolerance: number;
  /** Default 4. */
  connectivity?: Connectivity;
  /** 'add' paints the region with the class; 'subtract' removes the class from it. Default 'add'. */
  mode?: 'add' | 'subtract';
}

/**
 * Magic wand: grows a region from the clicked pixel over the IMAGE's values (any depth: 8-bit,
 * 16-bit, float after rescale), then adds it to or subtracts it from a class in the mask.
 */
export function magicWand(
  stroke: MaskStroke,
  pixels: ArrayLike<number>,
  at: Point,
  value: number,
  args: MagicWandArgs,
): void {
  const { width, height } = stroke.mask;
  const region = regionGrow(pixels, width, height, Math.floor(at.x), Math.floor(at.y), {
    lower: args.tolerance,
    connectivity: args.connectivity ?? 4,
  });
  if ((args.mode ?? 'add') === 'add') stroke.paint(region, value);
  else stroke.paintWhere(region, value, 0);
}
