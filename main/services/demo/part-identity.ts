/**
 * Which washer is it? The demo's verification data: each washer (an identity) carries a serial
 * mark, a few shallow dots engraved into its face at places of its own, on a ring of its own
 * size and turning marks; every picture of it (a shot) moves, turns and lights it afresh, as a
 * part photographed again at the next station would be. A verifier has to learn the mark, not the
 * picture. Deterministic for a given generator (part-image.ts draws the pixels).
 */
import {
  between,
  PART_IMAGE_SIDE,
  pointOnRing,
  renderPart,
  sampleLight,
  type Engraving,
  type PartImage,
  type PartSpec,
} from './part-image';

/** Dots in every serial mark: C(positions) large enough that no two of the demo's washers share one by chance. */
const DOTS = 4;
/** How far (degrees) a shot turns the washer either way. */
const TURN_DEGREES = 10;

/** What every picture of one washer shares, in fractions of the image's side (so any side draws it). */
export interface PartIdentity {
  outer: number;
  /** Inner radius as a fraction of the outer. */
  innerRatio: number;
  marks: number;
  /** Each dot: its angle (radians) and distance from the centre as a fraction of the way across the face. */
  dots: readonly { angle: number; across: number; darkness: number }[];
}

export function sampleIdentity(random: () => number): PartIdentity {
  return {
    outer: between(random, 0.33, 0.39),
    innerRatio: between(random, 0.3, 0.42),
    marks: between(random, 1.6, 2.6),
    dots: Array.from({ length: DOTS }, () => ({
      angle: between(random, 0, 2 * Math.PI),
      across: between(random, 0.2, 0.8),
      darkness: between(random, 45, 65),
    })),
  };
}

/** One picture of the washer: placed, turned, lit and glinting anew, never defective. */
export function sampleShot(random: () => number, identity: PartIdentity, side = PART_IMAGE_SIDE): PartSpec {
  const outer = identity.outer * side * between(random, 0.97, 1.03);
  const ring = {
    cx: side / 2 + between(random, -0.05, 0.05) * side,
    cy: side / 2 + between(random, -0.05, 0.05) * side,
    outer,
    inner: outer * identity.innerRatio,
  };
  const turn = (between(random, -TURN_DEGREES, TURN_DEGREES) * Math.PI) / 180;
  const engraving: Engraving[] = identity.dots.map((dot) => {
    const radius = ring.inner + 1.5 + dot.across * (ring.outer - ring.inner - 3);
    return {
      at: [ring.cx + radius * Math.cos(dot.angle + turn), ring.cy + radius * Math.sin(dot.angle + turn)],
      radius: 1.6,
      darkness: dot.darkness,
    };
  });
  const glintAt = pointOnRing(random, ring);
  return {
    side,
    ring,
    ...sampleLight(random),
    marks: identity.marks,
    glint: random() < 0.5 ? { at: glintAt, radius: between(random, 1.5, 3) } : null,
    defect: null,
    engraving,
  };
}

/** A shot of the washer, with the sensor's noise from the same generator. */
export function drawShot(random: () => number, identity: PartIdentity, side = PART_IMAGE_SIDE): PartImage {
  const spec = sampleShot(random, identity, side);
  return { spec, pixels: renderPart(spec, random) };
}
