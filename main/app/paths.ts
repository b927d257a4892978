/**
 * Where the built app's pieces are. The bundler may put this code in a shared chunk at any depth,
 * so paths are found from the app root (the folder whose package.json is Loupe's), not from here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function appRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'loupe') {
      root = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Loupe could not find its own package.json.');
    dir = parent;
  }
}

export function appVersion(): string {
  return (JSON.parse(readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The built renderer (index.html and assets). */
export function rendererDir(): string {
  return path.join(appRoot(), 'out', 'renderer');
}

/** The built engine worker entry. */
export function engineWorkerEntry(): string {
  return path.join(appRoot(), 'out', 'main', 'engine-worker.js');
}

export function preloadEntry(): string {
  return path.join(appRoot(), 'out', 'preload', 'index.cjs');
}
