/**
 * Region growing from a seed under a tolerance: the magic wand. Semantics match OpenCV's
 * `floodFill` with `FLOODFILL_FIXED_RANGE`: a pixel joins when its value v satisfies
 * seed − lower ≤ v ≤ seed + upper (compared with the seed, not with its neighbour, so the region
 * cannot creep along a slow gradient), and it is 4- or 8-connected to the seed through such
 * pixels. Works on any single-channel data — 8-bit, 16-bit or float after rescale — because the
 * comparison is on the numbers themselves.
 */
import { scanlineFill, isInside, type Connectivity } from './fill';
import type { Spans } from './spans';

export interface RegionGrowArgs {
  /** How far below the seed's value a pixel may be. Default 0. */
  lower?: number;
  /** How far above the seed's value a pixel may be. Default: same as lower. */
  upper?: number;
  /** Default 4. */
  connectivity?: Connectivity;
}

export function regionGrow(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  seedX: number,
  seedY: number,
  args: RegionGrowArgs = {},
): Spans {
  if (!isInside(seedX, seedY, width, height)) return new Int32Array(0);
  if (pixels.length < width * height)
    throw new RangeError(`regionGrow: ${pixels.length} pixels for a ${width}×${height} image.`);
  const lower = Math.abs(args.lower ?? 0);
  const upper = Math.abs(args.upper ?? args.lower ?? 0);
  const seed = Math.floor(seedY) * width + Math.floor(seedX);
  const value = pixels[seed]!;
  const lo = value - lower;
  const hi = value + upper;
  return scanlineFill(
    width,
    height,
    [seed],
    (i) => {
      const v = pixels[i]!;
      return v >= lo && v <= hi;
    },
    args.connectivity ?? 4,
  );
}
