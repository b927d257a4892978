/** What differs between two runs' configurations, as `path: a | b` rows for a side-by-side table. */
import type { TrainingConfig } from '../../../contract/index';

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
}

export function configDifferences(a: TrainingConfig, b: TrainingConfig): { path: string; a: string; b: string }[] {
  const left = new Map<string, string>();
  const right = new Map<string, string>();
  flatten(a, '', left);
  flatten(b, '', right);
  const paths = [...new Set([...left.keys(), ...right.keys()])].sort();
  return paths
    .filter((p) => left.get(p) !== right.get(p))
    .map((p) => ({ path: p, a: left.get(p) ?? '—', b: right.get(p) ?? '—' }));
}
