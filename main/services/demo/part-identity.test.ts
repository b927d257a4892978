import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../contract/random';
import { drawShot, sampleIdentity, sampleShot } from './part-identity';
import { defectMask, renderPart } from './part-image';

/** A dot counts as visible where its centre is this many grey levels darker than the same shot without it. */
const VISIBLE = 30;

describe('demo washers', () => {
  it('engraves every washer’s mark, visibly, inside its face, in every shot', () => {
    const random = seededRandom(5);
    for (let w = 0; w < 30; w++) {
      const washer = sampleIdentity(random);
      for (let k = 0; k < 6; k++) {
        const spec = sampleShot(random, washer);
        const seed = 1000 * w + k;
        const withMark = renderPart(spec, seededRandom(seed));
        const without = renderPart({ ...spec, engraving: [] }, seededRandom(seed));
        expect(spec.engraving).toHaveLength(washer.dots.length);
        for (const dot of spec.engraving!) {
          const from = Math.hypot(dot.at[0] - spec.ring.cx, dot.at[1] - spec.ring.cy);
          expect(from - dot.radius).toBeGreaterThanOrEqual(spec.ring.inner);
          expect(from + dot.radius).toBeLessThanOrEqual(spec.ring.outer);
          const i = Math.floor(dot.at[1]) * spec.side + Math.floor(dot.at[0]);
          expect(without[i]! - withMark[i]!).toBeGreaterThanOrEqual(VISIBLE);
        }
        // A mark is no defect: the shot's defect mask is empty.
        expect(defectMask(spec).every((v) => v === 0)).toBe(true);
      }
    }
  });

  it('keeps the mark where the washer has it, turned with the washer by at most 10°, while every shot moves and lights it anew', () => {
    const random = seededRandom(8);
    const washer = sampleIdentity(random);
    const shots = Array.from({ length: 12 }, () => sampleShot(random, washer));
    const angleOf = (spec: (typeof shots)[number], d: number) => {
      const [x, y] = spec.engraving![d]!.at;
      return Math.atan2(y - spec.ring.cy, x - spec.ring.cx);
    };
    const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));
    for (const spec of shots) {
      const turn = wrap(angleOf(spec, 0) - washer.dots[0]!.angle);
      expect(Math.abs(turn)).toBeLessThanOrEqual((10 * Math.PI) / 180 + 1e-9);
      // Every dot turns by the same angle: the mark's shape is the washer's.
      for (let d = 1; d < washer.dots.length; d++)
        expect(wrap(angleOf(spec, d) - washer.dots[d]!.angle - turn)).toBeCloseTo(0, 9);
    }
    expect(new Set(shots.map((s) => `${s.ring.cx},${s.ring.cy}`)).size).toBe(shots.length);
    expect(new Set(shots.map((s) => s.brightness)).size).toBe(shots.length);
  });

  it('draws the same pixels from the same generator', () => {
    const a = seededRandom(3);
    const b = seededRandom(3);
    const [wa, wb] = [sampleIdentity(a), sampleIdentity(b)];
    expect(drawShot(a, wa).pixels).toEqual(drawShot(b, wb).pixels);
  });
});
