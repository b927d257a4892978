import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../tests/reference/run';
import {
  boundaryLoops,
  boxFromCorners,
  capsuleSpans,
  compressRle,
  decompressRle,
  fillSpans,
  floodFillRegion,
  hitTestBox,
  labelBounds,
  labelOutline,
  moveBox,
  nudgeBox,
  rasterizePolygon,
  resizeBox,
  rleArea,
  rleCountsFromString,
  rleCountsToString,
  rleDecode,
  rleEncode,
  spansArea,
  spansToBitmap,
  strokeSpans,
  type Point,
} from './index';

const random = seededRandom(7);

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x,
    dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

describe('COCO RLE, hand-derived vectors', () => {
  // Worked by hand from maskApi.c: [[0,1],[1,1]] read down columns is 0,1,1,1 → counts [1,3] → "13".
  // [5,2,10,1]: the fourth count is stored as 1−2 = −1 → 0x1f → 'O'. 100 = 4 + 3·32 → 'T' (4|0x20) then '3'.
  const vectors: [number[], string][] = [
    [[1, 3], '13'],
    [[5, 2, 10, 1], '52:O'],
    [[100], 'T3'],
    [[0, 4], '04'],
  ];
  it.each(vectors)('counts %j ⇄ %s', (counts, text) => {
    expect(rleCountsToString(counts)).toBe(text);
    expect(rleCountsFromString(text)).toEqual(counts);
  });

  it('reads the column-major order and the leading zero run', () => {
    const rle = rleEncode(Uint8Array.from([0, 1, 1, 1]), 2, 2);
    expect(rle).toEqual({ size: [2, 2], counts: [1, 3] });
    expect(rleEncode(Uint8Array.from([1, 0, 0, 0]), 2, 2).counts).toEqual([0, 1, 3]);
    expect(rleArea(rle)).toBe(3);
  });

  it('round-trips large random masks through the string form', () => {
    for (const [w, h] of [
      [512, 384],
      [1, 2000],
      [2000, 1],
    ] as const) {
      const mask = Uint8Array.from({ length: w * h }, (_, i) => ((i * 2654435761) >>> 28) & 1);
      const back = rleDecode(decompressRle(compressRle(rleEncode(mask, w, h))));
      expect(back).toEqual(mask);
    }
  });

  it('rejects counts that do not cover the mask, and bad strings', () => {
    expect(() => rleDecode({ size: [2, 2], counts: [1, 2] })).toThrow(/3 of the 4/);
    expect(() => rleDecode({ size: [2, 2], counts: [1, 9] })).toThrow(RangeError);
    expect(() => rleCountsFromString('1~')).toThrow(/outside/);
    expect(() => rleCountsFromString('T')).toThrow(/ends in the middle/);
  });
});

describe('brush stamping', () => {
  it('paints exactly the pixels whose centre is within r of the segment', () => {
    for (let k = 0; k < 40; k++) {
      const w = 50,
        h = 40;
      const a = { x: random() * 60 - 5, y: random() * 50 - 5 };
      const b = k % 5 === 0 ? a : { x: random() * 60 - 5, y: random() * 50 - 5 };
      const r = 0.5 + random() * 8;
      const got = spansToBitmap(capsuleSpans(a, b, r, w, h), w, h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const d = distanceToSegment({ x: x + 0.5, y: y + 0.5 }, a, b);
          // Pixels within float noise of the rim may go either way.
          if (Math.abs(d - r) < 1e-9) continue;
          expect(got[y * w + x], `case ${k} at ${x},${y}`).toBe(d <= r ? 1 : 0);
        }
      }
    }
  });

  it('leaves no gaps between far-apart pointer samples', () => {
    const w = 200,
      h = 20;
    const mask = { width: w, height: h, data: new Uint8Array(w * h) };
    for (const spans of strokeSpans(
      [
        { x: 2, y: 10 },
        { x: 190, y: 10 },
      ],
      3,
      w,
      h,
    ))
      fillSpans(mask, spans, 1);
    for (let x = 2; x < 190; x++) expect(mask.data[10 * w + x]).toBe(1);
  });

  it('a radius-0.5 dab paints the one pixel under the pointer', () => {
    expect(Array.from(capsuleSpans({ x: 3.5, y: 2.5 }, { x: 3.5, y: 2.5 }, 0.5, 10, 10))).toEqual([2, 3, 4]);
  });
});

describe('polygon rasterisation', () => {
  it('fills a square of whole pixels exactly and clips to the image', () => {
    const spans = rasterizePolygon([[2, 1, 6, 1, 6, 4, 2, 4]], 10, 10);
    expect(spansArea(spans)).toBe(12);
    expect(spansArea(rasterizePolygon([[-5, -5, 20, -5, 20, 20, -5, 20]], 10, 10))).toBe(100);
  });

  it('treats an inner ring as a hole and two shared-edge squares as disjoint', () => {
    expect(
      spansArea(
        rasterizePolygon(
          [
            [0, 0, 8, 0, 8, 8, 0, 8],
            [2, 2, 6, 2, 6, 6, 2, 6],
          ],
          10,
          10,
        ),
      ),
    ).toBe(64 - 16);
    const left = spansToBitmap(rasterizePolygon([[0, 0, 5.5, 0, 5.5, 4, 0, 4]], 10, 10), 10, 10);
    const right = spansToBitmap(rasterizePolygon([[5.5, 0, 10, 0, 10, 4, 5.5, 4]], 10, 10), 10, 10);
    for (let i = 0; i < 100; i++) expect(left[i]! + right[i]!).toBeLessThanOrEqual(1);
    expect(left.reduce((a, b) => a + b, 0) + right.reduce((a, b) => a + b, 0)).toBe(40);
  });
});

describe('mask outline (YOLO polygons)', () => {
  it('rasterises back to the same pixels, holes and separate blobs included', () => {
    for (let k = 0; k < 25; k++) {
      const w = 5 + Math.floor(random() * 40),
        h = 5 + Math.floor(random() * 40);
      const data = Uint8Array.from({ length: w * h }, () => (random() < 0.45 ? 1 : random() < 0.5 ? 2 : 0));
      const mask = { width: w, height: h, data };
      const outline = labelOutline(mask, 1);
      const back = spansToBitmap(rasterizePolygon(outline ? [outline] : [], w, h), w, h);
      for (let i = 0; i < w * h; i++) expect(back[i], `case ${k} pixel ${i}`).toBe(data[i] === 1 ? 1 : 0);
    }
  });

  it('gives a square its four corners and nothing for an absent label', () => {
    const data = new Uint8Array(36);
    for (const i of [7, 8, 13, 14]) data[i] = 3;
    const mask = { width: 6, height: 6, data };
    expect(boundaryLoops(mask, 3)).toHaveLength(1);
    expect(boundaryLoops(mask, 3)[0]).toHaveLength(8);
    expect(labelOutline(mask, 4)).toBeNull();
    expect(labelBounds(mask, 3)).toEqual({ x1: 1, y1: 1, x2: 3, y2: 3 });
  });
});

describe('flood fill', () => {
  it('fills the connected same-label region, 4- or 8-connected', () => {
    // Two diagonal-touching squares of label 1.
    const w = 6,
      h = 6,
      data = new Uint8Array(36);
    for (const i of [0, 1, 6, 7, 14, 15, 20, 21]) data[i] = 1;
    const mask = { width: w, height: h, data };
    expect(spansArea(floodFillRegion(mask, 0, 0, 4))).toBe(4);
    expect(spansArea(floodFillRegion(mask, 0, 0, 8))).toBe(8);
    expect(spansArea(floodFillRegion(mask, 5, 5, 4))).toBe(28);
    expect(spansArea(floodFillRegion(mask, -1, 0))).toBe(0);
  });
});

describe('boxes', () => {
  const W = 100,
    H = 80;
  it('draws from any two corners, clamped, and refuses a sliver', () => {
    expect(boxFromCorners({ x: 50, y: 60 }, { x: 10, y: 90 }, W, H)).toEqual({ x1: 10, y1: 60, x2: 50, y2: 80 });
    expect(boxFromCorners({ x: 5, y: 5 }, { x: 5.5, y: 40 }, W, H)).toBeNull();
  });

  it('moves and nudges without leaving the image or changing size', () => {
    const box = { x1: 10, y1: 10, x2: 30, y2: 20 };
    expect(moveBox(box, 500, -500, W, H)).toEqual({ x1: 80, y1: 0, x2: 100, y2: 10 });
    expect(nudgeBox(box, 'left', false, W, H)).toEqual({ x1: 9, y1: 10, x2: 29, y2: 20 });
    expect(nudgeBox(box, 'down', true, W, H)).toEqual({ x1: 10, y1: 20, x2: 30, y2: 30 });
  });

  it('resizes by a handle and flips when dragged past the opposite edge', () => {
    const box = { x1: 10, y1: 10, x2: 30, y2: 20 };
    expect(resizeBox(box, 'se', { x: 40, y: 25 }, W, H)).toEqual({
      box: { x1: 10, y1: 10, x2: 40, y2: 25 },
      handle: 'se',
    });
    expect(resizeBox(box, 'e', { x: 5, y: 0 }, W, H)).toEqual({ box: { x1: 5, y1: 10, x2: 10, y2: 20 }, handle: 'w' });
    expect(resizeBox(box, 'nw', { x: 30, y: 20 }, W, H).box).toEqual({ x1: 29, y1: 19, x2: 30, y2: 20 });
    expect(resizeBox(box, 'n', { x: 0, y: -50 }, W, H).box).toEqual({ x1: 10, y1: 0, x2: 30, y2: 20 });
  });

  it('hit-tests handles before the inside', () => {
    const box = { x1: 10, y1: 10, x2: 30, y2: 20 };
    expect(hitTestBox(box, { x: 30.5, y: 20.5 }, 2)).toBe('se');
    expect(hitTestBox(box, { x: 20, y: 10.2 }, 2)).toBe('n');
    expect(hitTestBox(box, { x: 15, y: 15 }, 2)).toBe('inside');
    expect(hitTestBox(box, { x: 50, y: 50 }, 2)).toBeNull();
  });
});
