/**
 * Stock `@tensorflow/tfjs` as an independent runtime: the very tf.min.js build a TF.js bundle
 * ships, run in a V8 context of its own (node:vm). It has its own engine, kernel registry and
 * backend (tfjs's plain `cpu`), and never sees Loupe's kernels or layers: only what the bundle's
 * own scripts register. Bundle scripts are evaluated in it as a browser would run them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import type * as tfjs from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/index';

/** tfjs's prebuilt browser bundle (UMD, no dependencies), from Loupe's own node_modules. */
const TFJS_BUILD = '@tensorflow/tfjs/dist/tf.min.js';

let build: string | null = null;

/** The text of tf.min.js; read once. */
export function tfjsBuild(): string {
  if (build === null) {
    const file = createRequire(import.meta.url).resolve(TFJS_BUILD);
    try {
      build = readFileSync(file, 'utf8');
    } catch (error) {
      throw new LoupeError('NOT_FOUND', `The TF.js browser build ${file} is missing; reinstall Loupe.`, {
        cause: error,
      });
    }
  }
  return build;
}

/**
 * tfjs picks its platform (typed-array checks, clock, text coding) from the page's `window` or
 * Node's `process`; a bare context has neither, so it gets the browser platform's few functions,
 * defined inside the context so that `instanceof` sees the context's own typed arrays.
 */
const PLATFORM = `tf.setPlatform('loupe-parity', {
  fetch() { throw new Error('The parity check loads models from memory only.'); },
  now: () => Date.now(),
  encode: (text) => new TextEncoder().encode(text),
  decode: (bytes, encoding) => new TextDecoder(encoding).decode(bytes),
  isTypedArray: (a) => a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray,
  setTimeoutCustom: (f, delay) => setTimeout(f, delay),
});`;

export interface StockScript {
  name: string;
  text: string;
}

export interface StockTfjs {
  tf: typeof tfjs;
  /** The context's global object: what the scripts put on `globalThis`. */
  global: Record<string, unknown>;
  /** Runs one more script in the context and gives its completion value. */
  run(script: StockScript): unknown;
}

/** A fresh stock tfjs on its cpu backend, with `scripts` run after it in order. */
export async function openStockTfjs(scripts: readonly StockScript[]): Promise<StockTfjs> {
  // Only what a page's scripts use from the host: timers for tfjs's scheduling, atob for base64 weights, text coding.
  const context = vm.createContext({
    console,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    atob,
    TextEncoder,
    TextDecoder,
  });
  vm.runInContext(tfjsBuild(), context, { filename: 'tf.min.js' });
  vm.runInContext(PLATFORM, context, { filename: 'platform.js' });
  for (const script of scripts) vm.runInContext(script.text, context, { filename: script.name });
  const global = context as Record<string, unknown>;
  const tf = global.tf as typeof tfjs;
  if (!(await tf.setBackend('cpu')))
    throw new LoupeError('INTERNAL', 'Stock TF.js did not start its cpu backend; the export cannot be checked.');
  return { tf, global, run: (script) => vm.runInContext(script.text, context, { filename: script.name }) };
}
