import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Debian's interpreter: the first python3 on PATH may lack numpy/scipy/skimage. */
export const REFERENCE_PYTHON = process.env.LOUPE_REFERENCE_PYTHON ?? '/usr/bin/python3';

/** Runs tests/reference/<script> with the cases as JSON on stdin; returns its JSON answers. */
export function runReference<T>(script: string, cases: unknown[]): T[] {
  const result = spawnSync(REFERENCE_PYTHON, [path.join(import.meta.dirname, script)], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0)
    throw new Error(`${script} failed (${result.status}): ${result.stderr || result.error?.message}`);
  return JSON.parse(result.stdout) as T[];
}

export { seededRandom } from '../../contract/random';
