/** Where the built gradient worker script is: $LOUPE_GRADIENT_WORKER, else out/main of the Loupe package. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoupeError } from '../../contract/index';

/** Environment variable naming the built worker script (set by bench/run.mjs). */
export const GRADIENT_WORKER_ENV = 'LOUPE_GRADIENT_WORKER';

/** The built worker script: beside the engine worker in out/main of the Loupe package. */
export function gradientWorkerScript(): string {
  const fromEnv = process.env[GRADIENT_WORKER_ENV];
  if (fromEnv) return fromEnv;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'loupe') {
      const script = path.join(dir, 'out', 'main', 'gradient-worker.js');
      if (existsSync(script)) return script;
      throw new LoupeError(
        'ENGINE_UNAVAILABLE',
        `The gradient worker is not built (${script} is missing); run npm run build.`,
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new LoupeError('ENGINE_UNAVAILABLE', 'Cannot find the Loupe package folder to start the gradient worker.');
    dir = parent;
  }
}
