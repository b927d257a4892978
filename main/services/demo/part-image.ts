/**
 * One synthetic inspection image of Loupe's demo data: a machined washer (a ring) on a conveyor
 * under uneven light, seen from above in 8-bit grey, with or without a defect. A defect is a
 * dark scratch, a pit or a chip out of the rim; parts of either class carry the same harmless
 * variation (position, size, brightness, light, turning marks, a bright glint), so a model has to
 * learn the defect, not the part. Deterministic for a given generator.
 */

/** The demo task's classes, in the order the dataset's folders are listed. */
export const PART_CLASSES = ['defect', 'ok'] as const;
export type PartClass = (typeof PART_CLASSES)[number];

export const DEFECT_KINDS = ['scratch', 'pit', 'chip'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** Side of a demo image in pixels: small enough to train in seconds, large enough to show a pit of 2 pixels. */
export const PART_IMAGE_SIDE = 64;

/** Standard deviation of the sensor noise, in grey levels. */
const NOISE_SIGMA = 5;

export interface Ring {
  cx: number;
  cy: number;
  outer: number;
  inner: number;
}

export type Defect =
  | { kind: 'scratch'; from: [number, number]; to: [number, number]; darkness: number }
  | { kind: 'pit'; at: [number, number]; radius: number; darkness: number }
  | { kind: 'chip'; at: [number, number]; radius: number };

/** Everything a part's picture shows, in pixels (x right, y down), before the sensor's noise. */
export interface PartSpec {
  side: number;
  ring: Ring;
  background: number;
  /** Slope of the uneven light across the image, per axis. */
  light: [number, number];
  brightness: number;
  /** Spatial frequency of the turning marks on the face. */
  marks: number;
  glint: { at: [number, number]; radius: number } | null;
  defect: Defect | null;
  /** Dots engraved into the face (a serial mark, part-identity.ts); harmless, unlike a pit. Default none. */
  engraving?: readonly Engraving[];
}

/** A shallow dot engraved into the face, darker by `darkness` grey levels at its centre. */
export interface Engraving {
  at: [number, number];
  radius: number;
  darkness: number;
}

/** How much of the pixel at distance `d` from a circle's centre lies inside radius `r` (a one-pixel soft edge). */
function inside(d: number, r: number): number {
  return Math.min(1, Math.max(0, r - d + 0.5));
}

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function between(random: () => number, low: number, high: number): number {
  return low + (high - low) * random();
}

/** A point on the ring's face, away from both edges. */
export function pointOnRing(random: () => number, ring: Ring): [number, number] {
  const angle = between(random, 0, 2 * Math.PI);
  const radius = between(random, ring.inner + 2, ring.outer - 2);
  return [ring.cx + radius * Math.cos(angle), ring.cy + radius * Math.sin(angle)];
}

/** Distance from (x, y) to the segment from a to b. */
function segmentDistance(x: number, y: number, a: [number, number], b: [number, number]): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const t = Math.min(1, Math.max(0, ((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - a[0] - t * dx, y - a[1] - t * dy);
}

function sampleDefect(random: () => number, kind: DefectKind, ring: Ring): Defect {
  const darkness = between(random, 70, 100);
  if (kind === 'pit') return { kind, at: pointOnRing(random, ring), radius: between(random, 2, 3.2), darkness };
  const angle = between(random, 0, 2 * Math.PI);
  if (kind === 'chip')
    return {
      kind,
      at: [ring.cx + ring.outer * Math.cos(angle), ring.cy + ring.outer * Math.sin(angle)],
      radius: between(random, 0.18, 0.28) * ring.outer,
    };
  const from = pointOnRing(random, ring);
  const length = between(random, 0.45, 0.8) * ring.outer;
  return { kind, from, to: [from[0] + length * Math.cos(angle), from[1] + length * Math.sin(angle)], darkness };
}

/** The scene's light on a part: the belt's grey, the slope across the image, the part's brightness. */
export function sampleLight(random: () => number): Pick<PartSpec, 'background' | 'light' | 'brightness'> {
  return {
    background: between(random, 30, 60),
    light: [between(random, -1, 1), between(random, -1, 1)],
    brightness: between(random, 145, 200),
  };
}

/** A part's position, size, light and defect, drawn from `random`. */
export function samplePart(random: () => number, defect: DefectKind | null, side = PART_IMAGE_SIDE): PartSpec {
  const ring: Ring = {
    cx: side / 2 + between(random, -0.06, 0.06) * side,
    cy: side / 2 + between(random, -0.06, 0.06) * side,
    outer: between(random, 0.32, 0.4) * side,
    inner: 0,
  };
  ring.inner = ring.outer * between(random, 0.3, 0.45);
  return {
    side,
    ring,
    ...sampleLight(random),
    marks: between(random, 1.6, 2.6),
    glint: random() < 0.5 ? { at: pointOnRing(random, ring), radius: between(random, 1.5, 3) } : null,
    defect: defect ? sampleDefect(random, defect, ring) : null,
  };
}

/** How much of the pixel centred at (px, py) the defect covers, 0 to 1 (0 everywhere for a good part). */
function defectShare(defect: Defect | null, px: number, py: number): number {
  if (!defect) return 0;
  if (defect.kind === 'scratch') return inside(segmentDistance(px, py, defect.from, defect.to), 1);
  return inside(Math.hypot(px - defect.at[0], py - defect.at[1]), defect.radius);
}

/** How much of the pixel centred at (px, py) the ring covers, 0 to 1, its defect aside. */
function ringShare(ring: Ring, px: number, py: number): number {
  const d = Math.hypot(px - ring.cx, py - ring.cy);
  return inside(d, ring.outer) * (1 - inside(d, ring.inner));
}

/**
 * The defect's label mask, row-major: 1 where it covers at least half of a pixel of the part (a
 * chip: the material it took), 0 elsewhere; all 0 for a good part.
 */
export function defectMask(spec: PartSpec): Uint8Array {
  const s = spec.side;
  const mask = new Uint8Array(s * s);
  if (!spec.defect) return mask;
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++)
      mask[y * s + x] =
        ringShare(spec.ring, x + 0.5, y + 0.5) >= 0.5 && defectShare(spec.defect, x + 0.5, y + 0.5) >= 0.5 ? 1 : 0;
  return mask;
}

/** The part's 8-bit grey picture, row-major, with the sensor's noise drawn from `noise`. */
export function renderPart(spec: PartSpec, noise: () => number): Uint8Array {
  const { side: s, ring, glint, defect } = spec;
  const pixels = new Uint8Array(s * s);
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++) {
      const [px, py] = [x + 0.5, y + 0.5];
      const light = 1 + 0.25 * (spec.light[0] * (px / s - 0.5) + spec.light[1] * (py / s - 0.5));
      const d = Math.hypot(px - ring.cx, py - ring.cy);
      let coverage = ringShare(ring, px, py);
      let face = spec.brightness * (1 - 0.12 * (d / ring.outer)) + 6 * Math.sin(d * spec.marks);
      for (const dot of spec.engraving ?? [])
        face -= dot.darkness * inside(Math.hypot(px - dot.at[0], py - dot.at[1]), dot.radius);
      if (glint) face += 45 * Math.exp(-((px - glint.at[0]) ** 2 + (py - glint.at[1]) ** 2) / glint.radius ** 2);
      const share = defectShare(defect, px, py);
      // A chip takes the material away; a pit or a scratch darkens it.
      if (defect?.kind === 'chip') coverage *= 1 - share;
      else if (defect) face -= defect.darkness * share;
      const value = light * (spec.background * (1 - coverage) + face * coverage) + NOISE_SIGMA * normal(noise);
      pixels[y * s + x] = Math.min(255, Math.max(0, Math.round(value)));
    }
  return pixels;
}

export interface PartImage {
  spec: PartSpec;
  pixels: Uint8Array;
}

/** A part of the given class, its defect kind (for a defect) chosen evenly; noise from the same generator. */
export function drawPartOfClass(random: () => number, partClass: PartClass, side = PART_IMAGE_SIDE): PartImage {
  const defect = partClass === 'ok' ? null : DEFECT_KINDS[Math.floor(random() * DEFECT_KINDS.length)]!;
  const spec = samplePart(random, defect, side);
  return { spec, pixels: renderPart(spec, random) };
}
