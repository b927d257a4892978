/**
 * Loupe's oneDNN addon (native/onednn), built by `npm install` where oneDNN and a C++ compiler
 * are present. Loading it never throws: a machine without it trains on wasm, and the reason is
 * kept for `loupe engine info` and the one-line hint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OneDnnAddon {
  /** op 0: x, filter → y; 1: dy, filter → dx; 2: x, dy → dFilter. See loupe_onednn.cc for params. */
  conv(
    op: 0 | 1 | 2,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    params: Int32Array,
    bias?: Float32Array,
  ): void;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array, bias?: Float32Array): void;
  /** out[c] = scale · Σ_r x[r · cols + c]. */
  sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number, scale: number): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, params: Int32Array): void;
  concat(parts: Float32Array[], inner: Int32Array, out: Float32Array, outer: number): void;
  split(x: Float32Array, parts: Float32Array[], inner: Int32Array, outer: number): void;
  /** op 0: out = a + b, 1: out = a · b; b has a's size or `bSize` values repeated along a's rows. */
  binary(op: 0 | 1, a: Float32Array, b: Float32Array, out: Float32Array, bSize: number): void;
  /** op 0: ReLU, 1: Step (1 where x > 0, else 0; NaN stays NaN). */
  unary(op: 0 | 1, x: Float32Array, out: Float32Array): void;
  /** The most threads oneDNN uses; 0 = every core. */
  setThreads(threads: number): void;
  info(): { version: string; threads: number; isa: string };
}

/** What to run to get native speed, said once where the addon is missing. */
export const ONEDNN_HINT =
  'sudo apt-get install libdnnl-dev g++ make (macOS: brew install onednn), then npm run build:native';

/** Where `npm run build:native` (node-gyp) puts the addon, from the package root. */
export const ADDON_PATH = path.join('native', 'onednn', 'build', 'Release', 'loupe_onednn.node');

/** Environment variable naming the addon file, for bundles that keep it elsewhere. */
export const ONEDNN_ADDON_ENV = 'LOUPE_ONEDNN_ADDON';

let loaded: { addon: OneDnnAddon | null; reason: string } | null = null;

function packageRoot(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'loupe')
      return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The addon, or null with the reason it is not there. Loaded once per thread. */
export function loadOneDnn(): { addon: OneDnnAddon | null; reason: string } {
  if (loaded) return loaded;
  const root = packageRoot();
  const file = process.env[ONEDNN_ADDON_ENV] ?? (root ? path.join(root, ADDON_PATH) : null);
  if (!file || !existsSync(file)) {
    loaded = { addon: null, reason: 'the oneDNN addon is not built (oneDNN or a C++ compiler was missing at install)' };
    return loaded;
  }
  try {
    // OpenMP threads sleep when idle instead of spinning: Loupe shares the cores with the UI,
    // decoders and other workers, where spinning threads slow everyone (libgomp reads this once,
    // as the addon loads; a value the user set is kept).
    process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
    const addon = createRequire(import.meta.url)(file) as OneDnnAddon;
    loaded = { addon, reason: 'loaded' };
  } catch (error) {
    loaded = {
      addon: null,
      reason: `the oneDNN addon did not load: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
    };
  }
  return loaded;
}
