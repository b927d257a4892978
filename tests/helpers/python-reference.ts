/**
 * Runs a reference script of tests/reference with Debian's Python (/usr/bin/python3, which has
 * the apt packages python3-sklearn, python3-numpy, python3-torch), JSON in and JSON out.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const REFERENCE_PYTHON = process.env.LOUPE_REFERENCE_PYTHON ?? '/usr/bin/python3';

export function runReference<T>(script: string, input: unknown): T {
  const file = path.join(import.meta.dirname, '..', 'reference', script);
  const output = execFileSync(REFERENCE_PYTHON, [file], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output) as T;
}
