/**
 * Transpose for the layouts Loupe's gradient kernels move data through. tfjs-backend-wasm's
 * Transpose is a generic element-at-a-time C++ loop (≈20 ms for a 64×32×32×32 batch here); after
 * merging axes that stay neighbours, every permutation these kernels use is a (batched) 2D
 * transpose or a block shuffle, which a tiled JS loop writing straight into wasm memory does
 * 2–3× faster. Other permutations go to the stock kernel.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapView, runStock, type Info } from './wasm-calls';

/** Square tile edge: 32 floats keep a tile's source and destination rows within L1. */
const TILE = 32;

export function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  const outShape = perm.map((axis) => x.shape[axis]!);
  const { dims, order } = mergeAxes(x.shape, perm);
  if (x.dtype !== 'float32' || !isFastCase(order)) return runStock(backend, 'Transpose', { x }, { perm });
  const out = backend.makeOutput(outShape, 'float32');
  const src = heapView(backend, x);
  const dst = heapView(backend, out);
  if (order.length <= 1) {
    dst.set(src);
  } else if (order.length === 2) {
    tile2d(src, 0, dst, 0, dims[0]!, dims[1]!, dims[1]!, dims[0]!);
  } else {
    const [a, b, c] = dims as [number, number, number];
    const key = order.join('');
    if (key === '021') {
      for (let i = 0; i < a; i++) tile2d(src, i * b * c, dst, i * b * c, b, c, c, b);
    } else if (key === '210') {
      for (let j = 0; j < b; j++) tile2d(src, j * c, dst, j * a, a, c, b * c, b * a);
    } else {
      // '102': whole rows of c move; the row order changes.
      for (let i = 0; i < a; i++) {
        for (let j = 0; j < b; j++) {
          const from = (i * b + j) * c;
          dst.set(src.subarray(from, from + c), (j * a + i) * c);
        }
      }
    }
  }
  return out;
}

function isFastCase(order: number[]): boolean {
  if (order.length <= 2) return true;
  return order.length === 3 && ['021', '210', '102'].includes(order.join(''));
}

/**
 * Drops size-1 axes and merges axes that are adjacent and in order in both layouts, so
 * [N, H, W, C] with perm [1, 2, 0, 3] becomes [N, H·W, C] with order [1, 0, 2].
 */
export function mergeAxes(shape: readonly number[], perm: readonly number[]): { dims: number[]; order: number[] } {
  const kept = perm.filter((axis) => shape[axis]! !== 1);
  const groups: number[][] = [];
  for (const axis of kept) {
    const last = groups[groups.length - 1];
    const prevAxis = last?.[last.length - 1];
    // Axis follows its predecessor in the source too, with no kept axis between them.
    if (last && prevAxis !== undefined && nextKeptAxis(shape, prevAxis) === axis) last.push(axis);
    else groups.push([axis]);
  }
  const bySource = [...groups].sort((g, h) => g[0]! - h[0]!);
  const dims = bySource.map((g) => g.reduce((size, axis) => size * shape[axis]!, 1));
  const order = groups.map((g) => bySource.indexOf(g));
  return { dims, order };
}

function nextKeptAxis(shape: readonly number[], axis: number): number {
  let next = axis + 1;
  while (next < shape.length && shape[next] === 1) next++;
  return next;
}

/** dst[dstOff + c·dstColStride + r] = src[srcOff + r·srcRowStride + c] for r < rows, c < cols. */
function tile2d(
  src: Float32Array,
  srcOff: number,
  dst: Float32Array,
  dstOff: number,
  rows: number,
  cols: number,
  srcRowStride: number,
  dstColStride: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const rEnd = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const cEnd = Math.min(cols, c0 + TILE);
      for (let c = c0; c < cEnd; c++) {
        let s = srcOff + r0 * srcRowStride + c;
        let d = dstOff + c * dstColStride + r0;
        for (let r = r0; r < rEnd; r++, s += srcRowStride, d++) dst[d] = src[s]!;
      }
    }
  }
}
