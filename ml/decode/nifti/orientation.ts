/**
 * Which anatomical direction each voxel axis points to, as nibabel's `aff2axcodes` names it
 * ("RAS": i runs to the Right, j to Anterior, k to Superior; "LPI" the opposite ends). Taken from
 * the sform when its code is set, else from the qform's quaternion; null when neither is set.
 */
import type { NiftiHeader } from './header';

const POSITIVE = ['R', 'A', 'S'] as const;
const NEGATIVE = ['L', 'P', 'I'] as const;

export function axisCodes(header: NiftiHeader): string | null {
  const matrix = header.sformCode > 0 ? header.sform.map((row) => row.slice(0, 3)) : qformRotation(header);
  if (!matrix) return null;
  let codes = '';
  for (let axis = 0; axis < 3; axis++) {
    // The world axis this voxel axis moves along most.
    let world = 0;
    for (let w = 1; w < 3; w++) if (Math.abs(matrix[w]![axis]!) > Math.abs(matrix[world]![axis]!)) world = w;
    const value = matrix[world]![axis]!;
    if (!Number.isFinite(value) || value === 0) return null;
    codes += value > 0 ? POSITIVE[world] : NEGATIVE[world];
  }
  return new Set(codes.replace(/[LPI]/g, (c) => POSITIVE[NEGATIVE.indexOf(c as 'L')]!)).size === 3 ? codes : null;
}

/** The qform rotation (nifti1.h: quaternion b, c, d with a = sqrt(1 − b² − c² − d²); qfac flips k). */
export function qformRotation(header: NiftiHeader): number[][] | null {
  if (header.qformCode <= 0) return null;
  const [b, c, d, qfac] = header.quaternion;
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  return [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), qfac * 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, qfac * 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), qfac * (a * a + d * d - c * c - b * b)],
  ];
}
