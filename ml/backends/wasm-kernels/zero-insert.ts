/**
 * Data movement the gradient kernels need and tfjs-backend-wasm has no kernel for: spreading an
 * output gradient onto a strided grid (zero insertion) inside a zero border, and rotating a
 * filter by 180°. Both are one pass over memory; a JS loop writing straight into wasm memory
 * beats chaining pad/reshape/slice kernels, which would copy the gradient three times.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapView, type Info } from './wasm-calls';

/**
 * [N, OH, OW, C] → [N, rows, cols, C] holding dy[n, oh, ow] at (top + oh·strideH, left + ow·strideW)
 * and zeros elsewhere. `top`/`left` may be negative and the grid may overhang the result: entries
 * that fall outside are dropped (the convolution that follows would never read them).
 */
export function spreadOnGrid(
  backend: BackendWasm,
  dy: Info,
  grid: { strideH: number; strideW: number; top: number; left: number; rows: number; cols: number },
): Info {
  const [batch, outH, outW, channels] = dy.shape as [number, number, number, number];
  const { strideH, strideW, top, left, rows, cols } = grid;
  const out = backend.makeOutput([batch, rows, cols, channels], 'float32');
  const src = heapView(backend, dy);
  const dst = heapView(backend, out);
  dst.fill(0);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const r = top + oh * strideH;
      if (r < 0 || r >= rows) continue;
      for (let ow = 0; ow < outW; ow++) {
        const c = left + ow * strideW;
        if (c < 0 || c >= cols) continue;
        const from = ((n * outH + oh) * outW + ow) * channels;
        const to = ((n * rows + r) * cols + c) * channels;
        if (channels >= 16) {
          dst.set(src.subarray(from, from + channels), to);
        } else {
          for (let k = 0; k < channels; k++) dst[to + k] = src[from + k]!;
        }
      }
    }
  }
  return out;
}

/**
 * [FH, FW, A, B] → [FH, FW, B, A] rotated by 180° in space: out[i, j, b, a] = f[FH−1−i, FW−1−j, a, b].
 * With `swapChannels` false the channel axes keep their order (depthwise filters).
 */
export function rotateFilter(backend: BackendWasm, filter: Info, swapChannels: boolean): Info {
  const [fh, fw, a, b] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput(swapChannels ? [fh, fw, b, a] : [fh, fw, a, b], 'float32');
  const src = heapView(backend, filter);
  const dst = heapView(backend, out);
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const from = ((fh - 1 - i) * fw + (fw - 1 - j)) * a * b;
      const to = (i * fw + j) * a * b;
      if (!swapChannels) {
        dst.set(src.subarray(from, from + a * b), to);
        continue;
      }
      for (let x = 0; x < a; x++) {
        for (let y = 0; y < b; y++) dst[to + y * a + x] = src[from + x * b + y]!;
      }
    }
  }
  return out;
}

/**
 * [N, OH, OW, blockH·blockW·C] → [N, OH·blockH, OW·blockW, C]: the channel group (a, b) of each
 * pixel becomes the pixel at offset (a, b) of its block (TensorFlow's depth-to-space order,
 * with rectangular blocks).
 */
export function blocksToSpace(backend: BackendWasm, x: Info, blockH: number, blockW: number): Info {
  const [batch, rows, cols, depth] = x.shape as [number, number, number, number];
  const channels = depth / (blockH * blockW);
  const out = backend.makeOutput([batch, rows * blockH, cols * blockW, channels], 'float32');
  const src = heapView(backend, x);
  const dst = heapView(backend, out);
  const outCols = cols * blockW;
  let from = 0;
  for (let n = 0; n < batch; n++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        for (let a = 0; a < blockH; a++) {
          const rowStart = ((n * rows + r) * blockH + a) * outCols;
          for (let b = 0; b < blockW; b++, from += channels) {
            const to = (rowStart + c * blockW + b) * channels;
            if (channels >= 16) dst.set(src.subarray(from, from + channels), to);
            else for (let k = 0; k < channels; k++) dst[to + k] = src[from + k]!;
          }
        }
      }
    }
  }
  return out;
}
