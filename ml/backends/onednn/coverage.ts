/**
 * The fallback count of issue 14: over one piece of work (a training step), which kernel calls
 * computed on the addon, which only re-labelled a buffer (a view: Reshape, Identity, a float32 →
 * float32 Cast), and which computed on tfjs's wasm backend — an op the addon lacks, or a case a
 * native kernel handed over. Only the last are fallbacks.
 */
import * as tf from '@tensorflow/tfjs';
import { countKernels, type KernelTally } from './native-kernel';

/** Kernels whose wasm implementation computes nothing: the output shares the input's buffer. */
const VIEW_KERNELS = new Set<string>([tf.Reshape, tf.ExpandDims]);

export interface KernelCoverage {
  /** Kernel calls that computed on the addon. */
  native: number;
  /** Kernel calls that only gave a buffer a new shape. */
  views: number;
  /** Kernel calls that computed on wasm, by kernel name. */
  fallbacks: Record<string, number>;
}

export function fallbackCount(coverage: KernelCoverage): number {
  return Object.values(coverage.fallbacks).reduce((n, k) => n + k, 0);
}

/** Runs `work` once under tf.profile and sorts its kernel calls into native, views and fallbacks. */
export async function measureCoverage(work: () => Promise<void>): Promise<KernelCoverage> {
  const tallied: KernelTally = { native: new Map(), handedOver: new Map(), views: new Map() };
  countKernels(tallied);
  let calls: Map<string, number>;
  try {
    const info = await tf.profile(async () => {
      await work();
      return [];
    });
    calls = new Map();
    for (const kernel of info.kernels) calls.set(kernel.name, (calls.get(kernel.name) ?? 0) + 1);
  } finally {
    countKernels(null);
  }
  const coverage: KernelCoverage = { native: 0, views: 0, fallbacks: {} };
  for (const [name, total] of calls) {
    // tf.profile also lists the scopes of ops with custom gradients (fusedConv2d__op, …): no kernel.
    if (!tf.getKernel(name, tf.getBackend())) continue;
    const views = VIEW_KERNELS.has(name) ? total : (tallied.views.get(name) ?? 0);
    const native = tallied.native.get(name) ?? 0;
    coverage.views += views;
    coverage.native += native;
    const rest = total - views - native;
    if (rest > 0) coverage.fallbacks[name] = rest;
  }
  return coverage;
}
