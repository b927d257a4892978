/** Statistics the benchmarks share. */

/** The middle value (for an even count, the upper of the two middle ones): a run's other load moves the mean, not this. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
