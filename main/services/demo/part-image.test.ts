import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../contract/random';
import {
  DEFECT_KINDS,
  defectMask,
  drawPartOfClass,
  renderPart,
  samplePart,
  type Defect,
  type PartSpec,
} from './part-image';

/** A defect counts as visible where pixels are this many grey levels darker than the same part without it. */
const VISIBLE = 30;
const PARTS_PER_KIND = 40;

/** How far (pixels) a pixel's centre lies outside the defect's own outline. */
function outside(defect: Defect, x: number, y: number): number {
  const [px, py] = [x + 0.5, y + 0.5];
  if (defect.kind !== 'scratch') return Math.hypot(px - defect.at[0], py - defect.at[1]) - defect.radius;
  const [a, b] = [defect.from, defect.to];
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.min(1, Math.max(0, ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - a[0] - t * dx, py - a[1] - t * dy) - 1;
}

/** The same part with and without its defect, under the same noise: the difference is the defect alone. */
function difference(spec: PartSpec, seed: number): Int16Array {
  const withDefect = renderPart(spec, seededRandom(seed));
  const without = renderPart({ ...spec, defect: null }, seededRandom(seed));
  return Int16Array.from(withDefect, (v, i) => v - without[i]!);
}

describe('demo parts', () => {
  it.each(DEFECT_KINDS)('a %s darkens the part where it is, visibly, and nowhere else', (kind) => {
    const random = seededRandom(11);
    for (let n = 0; n < PARTS_PER_KIND; n++) {
      const spec = samplePart(random, kind);
      const diff = difference(spec, 100 + n);
      let visible = 0;
      for (let i = 0; i < diff.length; i++) {
        const [x, y] = [i % spec.side, Math.floor(i / spec.side)];
        // Rounding moves a pixel by one grey level at most.
        if (diff[i]! > 1) throw new Error(`part ${n}: the ${kind} brightened (${x}, ${y}) by ${diff[i]}`);
        if (diff[i]! < -1) expect(outside(spec.defect!, x, y), `part ${n}, pixel (${x}, ${y})`).toBeLessThan(1.5);
        if (diff[i]! <= -VISIBLE) visible++;
      }
      expect(visible, `part ${n}: pixels ${VISIBLE} levels darker`).toBeGreaterThanOrEqual(3);
    }
  });

  it.each(DEFECT_KINDS)('labels a %s where it darkened the part, and most of what it darkened', (kind) => {
    const random = seededRandom(12);
    for (let n = 0; n < PARTS_PER_KIND; n++) {
      const spec = samplePart(random, kind);
      const [diff, mask] = [difference(spec, 200 + n), defectMask(spec)];
      let [inMask, labelled, darkening] = [0, 0, 0];
      for (let i = 0; i < diff.length; i++) {
        if (mask[i]) {
          labelled++;
          // Half a pixel of a defect at least 70 levels deep, under light of at least 0.75.
          expect(diff[i], `part ${n}, labelled pixel ${i}`).toBeLessThanOrEqual(-20);
          inMask -= diff[i]!;
        }
        darkening -= Math.min(0, diff[i]!);
      }
      expect(labelled, `part ${n}: labelled pixels`).toBeGreaterThanOrEqual(3);
      expect(inMask / darkening, `part ${n}: share of the darkening labelled`).toBeGreaterThan(0.6);
    }
  });

  it('labels nothing on a good part', () => {
    const random = seededRandom(13);
    for (let n = 0; n < 20; n++) expect(defectMask(samplePart(random, null)).some((v) => v !== 0)).toBe(false);
  });

  it('draws a good part without a defect, and a defective one of each kind in turn', () => {
    const random = seededRandom(5);
    expect(Array.from({ length: 20 }, () => drawPartOfClass(random, 'ok').spec.defect)).toEqual(Array(20).fill(null));
    const kinds = new Set(Array.from({ length: 60 }, () => drawPartOfClass(random, 'defect').spec.defect?.kind));
    expect([...kinds].sort()).toEqual([...DEFECT_KINDS].sort());
  });

  it('keeps the part inside the picture, on a darker background', () => {
    const random = seededRandom(9);
    for (let n = 0; n < 50; n++) {
      const { ring, side, background, brightness } = samplePart(random, null);
      expect(Math.min(ring.cx - ring.outer, ring.cy - ring.outer)).toBeGreaterThan(0);
      expect(Math.max(ring.cx + ring.outer, ring.cy + ring.outer)).toBeLessThan(side);
      expect(brightness * 0.88 - background).toBeGreaterThan(VISIBLE);
    }
  });

  it('draws the same pixels for the same seed, other pixels for another', () => {
    const draw = (seed: number) => drawPartOfClass(seededRandom(seed), 'defect').pixels;
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});
