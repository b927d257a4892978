/**
 * Geometric augmentation: one affine map (flips, rotation, scale, shift about the image centre)
 * plus an optional elastic displacement field, applied the same way to an image (bilinear), its
 * mask (nearest, so classes never blend) and its boxes (corners mapped, then their bounding box).
 */

/** An axis-aligned box in input pixels: (x, y) is the top-left corner, pixel i spans [i, i+1). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Carried through untouched (class index, track id…). */
  label?: number;
}

/** Forward affine map, continuous coordinates: [x', y'] = [a b; c d]·[x - cx, y - cy] + [cx + tx, cy + ty]. */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  tx: number;
  ty: number;
}

export const IDENTITY: Affine = { a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0 };

export function isIdentity(m: Affine): boolean {
  return m.a === 1 && m.b === 0 && m.c === 0 && m.d === 1 && m.tx === 0 && m.ty === 0;
}

/** Rotation (degrees, counter-clockwise on screen), uniform scale, flips, then shift (pixels). */
export function composeAffine(p: {
  flipX: boolean;
  flipY: boolean;
  degrees: number;
  scale: number;
  shiftX: number;
  shiftY: number;
}): Affine {
  const theta = (p.degrees * Math.PI) / 180;
  const cos = Math.cos(theta) * p.scale;
  const sin = Math.sin(theta) * p.scale;
  const fx = p.flipX ? -1 : 1;
  const fy = p.flipY ? -1 : 1;
  // Screen y points down, so a counter-clockwise turn on screen is R(-θ) in these coordinates.
  return { a: cos * fx, b: sin * fy, c: -sin * fx, d: cos * fy, tx: p.shiftX, ty: p.shiftY };
}

function invert(m: Affine): Affine {
  const det = m.a * m.d - m.b * m.c;
  return { a: m.d / det, b: -m.b / det, c: -m.c / det, d: m.a / det, tx: 0, ty: 0 };
}

/** Displacement (in pixels) added to every output pixel's source position. */
export interface DisplacementField {
  dx: Float32Array;
  dy: Float32Array;
}

/**
 * For each output pixel (centre at index + 0.5), the source position in input index coordinates.
 */
function sourcePositions(
  rows: number,
  columns: number,
  m: Affine,
  field?: DisplacementField,
): { sx: Float32Array; sy: Float32Array } {
  const inv = invert(m);
  const cx = columns / 2;
  const cy = rows / 2;
  const sx = new Float32Array(rows * columns);
  const sy = new Float32Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const i = y * columns + x;
      const ux = x + 0.5 - cx - m.tx;
      const uy = y + 0.5 - cy - m.ty;
      sx[i] = inv.a * ux + inv.b * uy + cx - 0.5 + (field ? field.dx[i]! : 0);
      sy[i] = inv.c * ux + inv.d * uy + cy - 0.5 + (field ? field.dy[i]! : 0);
    }
  }
  return { sx, sy };
}

/** Warps an HWC image; outside the source is 0. */
export function warpImage(
  src: Float32Array,
  rows: number,
  columns: number,
  channels: number,
  m: Affine,
  field?: DisplacementField,
): Float32Array {
  const { sx, sy } = sourcePositions(rows, columns, m, field);
  const out = new Float32Array(src.length);
  const at = (yy: number, xx: number, c: number): number =>
    yy < 0 || yy >= rows || xx < 0 || xx >= columns ? 0 : src[(yy * columns + xx) * channels + c]!;
  for (let i = 0; i < rows * columns; i++) {
    const x = sx[i]!;
    const y = sy[i]!;
    if (x <= -1 || y <= -1 || x >= columns || y >= rows) continue;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    for (let c = 0; c < channels; c++) {
      out[i * channels + c] =
        (at(y0, x0, c) * (1 - fx) + at(y0, x0 + 1, c) * fx) * (1 - fy) +
        (at(y0 + 1, x0, c) * (1 - fx) + at(y0 + 1, x0 + 1, c) * fx) * fy;
    }
  }
  return out;
}

/** Warps a class mask with nearest sampling; outside the source is background (0). */
export function warpMask(
  src: Uint8Array,
  rows: number,
  columns: number,
  m: Affine,
  field?: DisplacementField,
): Uint8Array {
  const { sx, sy } = sourcePositions(rows, columns, m, field);
  const out = new Uint8Array(src.length);
  for (let i = 0; i < rows * columns; i++) {
    const x = Math.round(sx[i]!);
    const y = Math.round(sy[i]!);
    if (x >= 0 && y >= 0 && x < columns && y < rows) out[i] = src[y * columns + x]!;
  }
  return out;
}

/** Maps boxes' corners forward, takes their bounding box, clips to the image; drops boxes left empty. */
export function warpBoxes(boxes: readonly Box[], rows: number, columns: number, m: Affine): Box[] {
  const cx = columns / 2;
  const cy = rows / 2;
  const out: Box[] = [];
  for (const box of boxes) {
    const corners = [
      [box.x, box.y],
      [box.x + box.width, box.y],
      [box.x, box.y + box.height],
      [box.x + box.width, box.y + box.height],
    ];
    const xs = corners.map(([x, y]) => m.a * (x! - cx) + m.b * (y! - cy) + cx + m.tx);
    const ys = corners.map(([x, y]) => m.c * (x! - cx) + m.d * (y! - cy) + cy + m.ty);
    const x0 = Math.max(0, Math.min(...xs));
    const y0 = Math.max(0, Math.min(...ys));
    const x1 = Math.min(columns, Math.max(...xs));
    const y1 = Math.min(rows, Math.max(...ys));
    if (x1 - x0 <= 0 || y1 - y0 <= 0) continue;
    out.push({ ...box, x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
  }
  return out;
}

/** Separable Gaussian blur of a rows × columns field, edges clamped. */
function gaussianBlur(field: Float32Array, rows: number, columns: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k]! /= sum;
  const tmp = new Float32Array(field.length);
  const out = new Float32Array(field.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++)
        acc += kernel[k + radius]! * field[y * columns + Math.min(columns - 1, Math.max(0, x + k))]!;
      tmp[y * columns + x] = acc;
    }
  }
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++)
        acc += kernel[k + radius]! * tmp[Math.min(rows - 1, Math.max(0, y + k)) * columns + x]!;
      out[y * columns + x] = acc;
    }
  }
  return out;
}

/**
 * Simard et al. (2003): uniform noise in [-1, 1] per pixel, smoothed by a Gaussian of `sigma`,
 * scaled by `alpha` pixels.
 */
export function elasticField(
  rows: number,
  columns: number,
  alpha: number,
  sigma: number,
  uniform: () => number,
): DisplacementField {
  const make = (): Float32Array => {
    const noise = new Float32Array(rows * columns);
    for (let i = 0; i < noise.length; i++) noise[i] = uniform() * 2 - 1;
    const smooth = gaussianBlur(noise, rows, columns, sigma);
    for (let i = 0; i < smooth.length; i++) smooth[i]! *= alpha;
    return smooth;
  };
  return { dx: make(), dy: make() };
}
