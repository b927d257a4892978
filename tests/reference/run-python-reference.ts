/**
 * Runs one of the Python reference scripts in tests/reference/ with Debian's interpreter (the
 * python3 first on PATH may lack torch and scikit-learn): JSON in on stdin, JSON out on stdout.
 * One process per test file: importing torch alone takes seconds.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Debian's interpreter, where apt installed python3-torch, -torchvision and -sklearn. */
export const REFERENCE_PYTHON = process.env.LOUPE_REFERENCE_PYTHON ?? '/usr/bin/python3';

export function runPythonReference<T>(script: string, input: unknown, python = REFERENCE_PYTHON): T {
  const file = path.join(import.meta.dirname, script);
  const result = spawnSync(python, [file], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw new Error(`Could not run ${python} ${script}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${script} exited with ${result.status}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Whether `python` can import `module` (for references that are optional on some machines). */
export function pythonHasModule(module: string, python = REFERENCE_PYTHON): boolean {
  const result = spawnSync(python, ['-c', `import ${module}`], { encoding: 'utf8' });
  return result.status === 0;
}
