/**
 * The magic wand's region growing against OpenCV's floodFill with FLOODFILL_FIXED_RANGE (through
 * opencv-wasm, under Node). opencv-wasm cannot run in Loupe's page — its embind glue needs
 * 'unsafe-eval' (tests/reference/opencv-csp-check.mjs) — so the page runs region-grow.ts, and
 * this test holds it to OpenCV's answers: 8-bit images as CV_8U, 16-bit ones as CV_32F (floodFill
 * takes 8-bit or float images), 4- and 8-connected.
 */
import { cv } from 'opencv-wasm';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../tests/reference/run';
import { regionGrow } from './region-grow';
import { spansToBitmap } from './spans';

interface CvMat {
  data: Uint8Array;
  delete(): void;
}

function opencvRegion(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  x: number,
  y: number,
  tolerance: number,
  connectivity: 4 | 8,
): Uint8Array {
  const type = pixels instanceof Uint8Array ? cv.CV_8UC1 : cv.CV_32FC1;
  const image: CvMat = cv.matFromArray(height, width, type, Array.from(pixels));
  const mask: CvMat = cv.Mat.zeros(height + 2, width + 2, cv.CV_8UC1);
  // Low byte: connectivity; bits 8–15: the value written into the mask.
  const flags = connectivity | cv.FLOODFILL_FIXED_RANGE | cv.FLOODFILL_MASK_ONLY | (1 << 8);
  const diff = new cv.Scalar(tolerance, tolerance, tolerance, tolerance);
  cv.floodFill(image, mask, new cv.Point(x, y), new cv.Scalar(0), new cv.Rect(), diff, diff, flags);
  const out = new Uint8Array(width * height);
  // The mask is one pixel larger on every side.
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) out[r * width + c] = mask.data[(r + 1) * (width + 2) + c + 1]!;
  image.delete();
  mask.delete();
  return out;
}

describe('regionGrow matches OpenCV floodFill (FIXED_RANGE)', () => {
  const random = seededRandom(99);
  const cases = Array.from({ length: 16 }, (_, k) => ({
    width: 30 + Math.floor(random() * 50),
    height: 30 + Math.floor(random() * 50),
    depth: k % 2 === 0 ? 8 : 16,
    connectivity: (k % 4 < 2 ? 4 : 8) as 4 | 8,
    phase: random() * 10,
  }));
  it.each(cases)(
    '$depth-bit $width×$height, $connectivity-connected',
    ({ width, height, depth, connectivity, phase }) => {
      const max = depth === 8 ? 255 : 65535;
      const values = Array.from({ length: width * height }, (_, i) =>
        Math.round(
          max * (0.5 + 0.35 * Math.sin((i % width) / 6 + phase) * Math.cos(Math.floor(i / width) / 5)) +
            (random() - 0.5) * max * 0.05,
        ),
      );
      const pixels = depth === 8 ? Uint8Array.from(values) : Uint16Array.from(values);
      const x = Math.floor(random() * width);
      const y = Math.floor(random() * height);
      const tolerance = Math.round(max * (0.05 + random() * 0.2));
      const ours = spansToBitmap(
        regionGrow(pixels, width, height, x, y, { lower: tolerance, connectivity }),
        width,
        height,
      );
      expect(Array.from(ours)).toEqual(Array.from(opencvRegion(pixels, width, height, x, y, tolerance, connectivity)));
      expect(ours.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    },
  );
});
