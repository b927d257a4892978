/**
 * Geometry against independent references (tests/reference/label_geometry.py): COCO RLE written
 * from maskApi.c, skimage's polygon fill, scipy's binary_fill_holes and skimage's flood.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runReference, seededRandom } from '../../tests/reference/run';
import {
  holesOf,
  rasterizePolygon,
  regionGrow,
  rleCountsFromString,
  rleCountsToString,
  rleDecode,
  rleEncode,
  spansToBitmap,
} from './index';

interface Case {
  op: string;
  [key: string]: unknown;
}

const random = seededRandom(20260611);
const int = (n: number): number => Math.floor(random() * n);

function blobMask(width: number, height: number, labels: number, blobs: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let b = 0; b < blobs; b++) {
    const cx = random() * width,
      cy = random() * height,
      r = 1 + random() * Math.min(width, height) * 0.3;
    const label = 1 + int(labels);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) mask[y * width + x] = label;
  }
  return mask;
}

const rleCases: Case[] = [];
const polygonCases: Case[] = [];
const holeCases: Case[] = [];
const floodCases: Case[] = [];
let answers: Map<Case, { counts?: number[]; string?: string; mask?: number[] }>;

beforeAll(() => {
  // RLE: random noise (many short runs, long strings), blobs, empty, full, and odd shapes.
  for (const [w, h, kind] of [
    [1, 1, 'noise'],
    [7, 3, 'noise'],
    [64, 48, 'blobs'],
    [33, 17, 'empty'],
    [20, 9, 'full'],
    [300, 200, 'blobs'],
    [13, 40, 'noise'],
  ] as const) {
    const mask =
      kind === 'noise'
        ? Uint8Array.from({ length: w * h }, () => (random() < 0.5 ? 1 : 0))
        : kind === 'empty'
          ? new Uint8Array(w * h)
          : kind === 'full'
            ? new Uint8Array(w * h).fill(1)
            : blobMask(w, h, 1, 6);
    rleCases.push({ op: 'rle', width: w, height: h, mask: Array.from(mask) });
  }
  for (let k = 0; k < 12; k++) {
    const w = 20 + int(60),
      h = 20 + int(60);
    const rings = Array.from({ length: 1 + int(3) }, () =>
      Array.from({ length: 2 * (3 + int(8)) }, (_, i) =>
        i % 2 === 0 ? random() * (w + 10) - 5 : random() * (h + 10) - 5,
      ),
    );
    polygonCases.push({ op: 'polygon', width: w, height: h, rings });
  }
  for (let k = 0; k < 6; k++) {
    const w = 30 + int(50),
      h = 30 + int(50);
    const mask = blobMask(w, h, 3, 12);
    // Punch background holes into label 1's blobs.
    for (let i = 0; i < w * h; i++) if (mask[i] === 1 && random() < 0.05) mask[i] = 0;
    holeCases.push({ op: 'fill_holes', width: w, height: h, label: 1, mask: Array.from(mask) });
  }
  for (let k = 0; k < 6; k++) {
    const w = 40 + int(40),
      h = 40 + int(40);
    // 16-bit-range smooth field plus noise: the tolerance decides where the region stops.
    const image = Array.from({ length: w * h }, (_, i) =>
      Math.round(20000 + 15000 * Math.sin((i % w) / 9) * Math.cos(Math.floor(i / w) / 7) + random() * 800),
    );
    floodCases.push({
      op: 'flood',
      width: w,
      height: h,
      image,
      x: int(w),
      y: int(h),
      tolerance: 2000 + int(6000),
      connectivity: k % 2 === 0 ? 1 : 2,
    });
  }
  const all = [...rleCases, ...polygonCases, ...holeCases, ...floodCases];
  const replies = runReference<{ counts?: number[]; string?: string; mask?: number[] }>('label_geometry.py', all);
  answers = new Map(all.map((c, i) => [c, replies[i]!]));
});

describe('COCO RLE against a maskApi.c reference', () => {
  it('encodes counts and strings identically, and decodes them back', () => {
    for (const c of rleCases) {
      const expected = answers.get(c)!;
      const mask = Uint8Array.from(c.mask as number[]);
      const rle = rleEncode(mask, c.width as number, c.height as number);
      expect(rle.counts).toEqual(expected.counts);
      expect(rleCountsToString(rle.counts)).toBe(expected.string);
      expect(rleCountsFromString(expected.string!)).toEqual(expected.counts);
      expect(Array.from(rleDecode(rle))).toEqual(c.mask);
    }
  });
});

describe('polygon rasterisation against skimage.draw.polygon', () => {
  it('fills the same pixel centres (even-odd over rings)', () => {
    for (const c of polygonCases) {
      const spans = rasterizePolygon(c.rings as number[][], c.width as number, c.height as number);
      expect(Array.from(spansToBitmap(spans, c.width as number, c.height as number))).toEqual(answers.get(c)!.mask);
    }
  });
});

describe('fill holes against scipy.ndimage.binary_fill_holes', () => {
  it('finds the same background holes', () => {
    for (const c of holeCases) {
      const mask = { width: c.width as number, height: c.height as number, data: Uint8Array.from(c.mask as number[]) };
      const holes = holesOf(mask, c.label as number);
      expect(Array.from(spansToBitmap(holes, mask.width, mask.height))).toEqual(answers.get(c)!.mask);
    }
  });
});

describe('region growing against skimage.segmentation.flood', () => {
  it('grows the same region on 16-bit-range data, 4- and 8-connected', () => {
    for (const c of floodCases) {
      const pixels = Uint16Array.from(c.image as number[]);
      const spans = regionGrow(pixels, c.width as number, c.height as number, c.x as number, c.y as number, {
        lower: c.tolerance as number,
        connectivity: c.connectivity === 1 ? 4 : 8,
      });
      const bitmap = spansToBitmap(spans, c.width as number, c.height as number);
      expect(Array.from(bitmap)).toEqual(answers.get(c)!.mask);
      expect(bitmap.reduce((a, b) => a + b, 0)).toBeGreaterThan(1);
    }
  });
});
