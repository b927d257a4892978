/**
 * Loupe's oneDNN addon (native/onednn), built by `npm install` where oneDNN and a C++ compiler
 * are present. Loading it never throws: a machine without it trains on wasm, and the reason is
 * kept for `loupe engine info` and the one-line hint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { preferSleepingOpenMpThreads } from './openmp';

/** The element types of tfjs's wasm tensors: float32, bool, int32. */
export type TypedArray = Float32Array | Uint8Array | Int32Array;

export interface OneDnnAddon {
  /** op 0: x, filter → y; 1: dy, filter → dx; 2: x, dy → dFilter. See product_bindings.cc for params. */
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
  /** out = f(x) (MapOp in tensor_ops.h); x and out of any of the three element types. */
  map(op: number, x: TypedArray, out: TypedArray, alpha: number, beta: number): void;
  /** out = a op b (ZipOp) over `walk`: rank, out shape, a's strides, b's strides (0 where broadcast). */
  zip(op: number, a: TypedArray, b: TypedArray, out: TypedArray, walk: Int32Array): void;
  /** out = condition ? a : b over `walk` (rank, shape, strides of condition, a, b). */
  select(condition: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array, walk: Int32Array): void;
  /** ReduceOp over the flagged axes: params = rank, shape, reduced flags. */
  reduce(op: number, x: Float32Array, out: Float32Array, params: Int32Array): void;
  /** out[i] = x[Σ (i_d mod inShape_d) · stride_d]: params = rank, out shape, strides, in shape. */
  tile(x: TypedArray, out: TypedArray, params: Int32Array): void;
  /** Max pooling (NHWC), params as maxPoolGrad's. */
  maxPool(x: Float32Array, y: Float32Array, params: Int32Array): void;
  /** Nearest resize (grad 0: x → y) or its gradient (grad 1: dy → dx); params in tensor_bindings.cc. */
  resizeNearest(a: Float32Array, b: Float32Array, params: Int32Array, grad: 0 | 1): void;
  oneHot(indices: Int32Array, out: TypedArray, depth: number, on: number, off: number): void;
  /** Adam's update of p, m and v in place; constants in tensor_bindings.cc. */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, constants: Float32Array): void;
  /**
   * Batch norm in training mode over rows × channels (params): y = (x − mean) · scale /
   * √(variance + ε) + offset, then max(y, 0) with `relu`, with stats = the batch's mean then its
   * (biased) variance. (An addon without the `batch-norm-relu` feature ignores `relu`.)
   */
  batchNormTrain(
    x: Float32Array,
    scale: Float32Array,
    offset: Float32Array,
    y: Float32Array,
    stats: Float32Array,
    params: Int32Array,
    epsilon: number,
    relu: boolean,
  ): void;
  /**
   * Its gradient: dx, and grads = dscale then doffset; stats as batchNormTrain wrote them; reluY,
   * the forward's output when it applied the ReLU (dy counts where it is positive), else null.
   */
  batchNormTrainGrad(
    dy: Float32Array,
    x: Float32Array,
    stats: Float32Array,
    scale: Float32Array,
    dx: Float32Array,
    grads: Float32Array,
    params: Int32Array,
    epsilon: number,
    reluY: Float32Array | null,
  ): void;
  /** The most threads oneDNN uses; 0 = every core. */
  setThreads(threads: number): void;
  /** `features`: what addons built from older sources lack (absent from those). */
  info(): { version: string; threads: number; isa: string; features?: string[] };
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
    // Effective only in a main thread (Electron's engine process, the benchmarks); the hosts that
    // run the engine in a worker thread set it before they start that thread (node-worker.ts).
    preferSleepingOpenMpThreads();
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
