/**
 * How a loss is written and drawn. Losses of a run can fall from 2.3 to 3e-5: fixed decimals
 * print the late ones as "0.0000" (a loss of exactly zero, which it is not), and a linear axis
 * flattens everything after the first epochs into one line at the bottom.
 */
import type { Curve } from './curves';

/** Significant digits a loss is written with: enough to see it move, few enough to read. */
export const LOSS_SIGNIFICANT_DIGITS = 3;
/** Below this a loss is written with an exponent (0.000123 reads worse than 1.23e-4). */
const PLAIN_BELOW = 1e-3;
/** Largest over smallest positive loss from which the axis is logarithmic: two decades. */
export const LOG_AXIS_SPAN = 100;

/** A loss in 3 significant digits; never "0.000…" for a value that is not zero. */
export function formatLoss(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < PLAIN_BELOW) return value.toExponential(LOSS_SIGNIFICANT_DIGITS - 1);
  // toPrecision gives "1.23", "0.0123", "123"; above 1000 it would switch to an exponent too.
  return magnitude >= 1000 ? value.toFixed(0) : value.toPrecision(LOSS_SIGNIFICANT_DIGITS);
}

/**
 * Whether curves' values span decades (largest / smallest ≥ LOG_AXIS_SPAN) and can go on a log
 * axis: every value must be positive, since a log axis cannot place zero or a negative loss.
 */
export function wantsLogAxis(curves: readonly Curve[]): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const curve of curves)
    for (const [, y] of curve.points) {
      if (!(y > 0) || !Number.isFinite(y)) return false;
      min = Math.min(min, y);
      max = Math.max(max, y);
    }
  return min !== Infinity && max / min >= LOG_AXIS_SPAN;
}

/** A run's best value: a loss (val_loss) by formatLoss, a rate in [0, 1] with 4 decimals. */
export function formatBest(metric: string, value: number): string {
  return metric.endsWith('loss') ? formatLoss(value) : value.toFixed(4);
}
