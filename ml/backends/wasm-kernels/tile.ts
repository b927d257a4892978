/**
 * Tile, and broadcastTo, which tfjs runs as a Tile. tfjs-backend-wasm's Tile finds every output
 * value through every axis (a division and a remainder an axis a value): broadcasting a batch
 * norm's per-channel gradient to [32, 64, 64, 16] made the step slower than multiplying by a
 * tensor of ones. Here the output is built by blocks: the first repetition of each axis is filled
 * (recursively, from the input), then copied onto the rest of the axis by doubling, with
 * copyWithin straight in wasm memory. Neighbouring axes that are both repeated from one value or
 * both copied whole are merged first, so that broadcast is one 16-value row and 17 copies.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runStock, type Info } from './wasm-calls';

type Values = Float32Array | Int32Array | Uint8Array;

/** Output axes after merging: size, the input's size along it (the period) and its stride in the input. */
export interface TileAxes {
  size: number[];
  period: number[];
  stride: number[];
}

export function mergeTileAxes(inShape: readonly number[], reps: readonly number[]): TileAxes {
  const axes: TileAxes = { size: [], period: [], stride: [] };
  const strides = tf.util.computeStrides([...inShape]).concat(inShape.length ? [1] : []);
  inShape.forEach((n, d) => {
    const size = n * reps[d]!;
    const last = axes.size.length - 1;
    if (last >= 0) {
      const repeated = axes.period[last] === 1 && n === 1;
      const copied = axes.period[last] === axes.size[last] && reps[d] === 1 && axes.stride[last] === strides[d]! * n;
      if (repeated || copied) {
        axes.size[last] = axes.size[last]! * size;
        axes.period[last] = repeated ? 1 : axes.size[last]!;
        axes.stride[last] = strides[d]!;
        return;
      }
    }
    axes.size.push(size);
    axes.period.push(n);
    axes.stride.push(strides[d]!);
  });
  return axes;
}

/** Fills out[at, at + block of axis d) from x starting at `from`. */
function fill(x: Values, out: Values, axes: TileAxes, d: number, from: number, at: number): void {
  const size = axes.size[d]!;
  const period = axes.period[d]!;
  const last = d === axes.size.length - 1;
  const block = last ? 1 : axes.size.slice(d + 1).reduce((a, b) => a * b, 1);
  // The last axis is contiguous in the input (its stride is 1): its period is one run of values.
  if (last) out.set(x.subarray(from, from + period), at);
  else for (let i = 0; i < period; i++) fill(x, out, axes, d + 1, from + i * axes.stride[d]!, at + i * block);
  // The first `period` blocks are the pattern; the rest of the axis repeats it.
  const total = size * block;
  for (let done = period * block; done < total; ) {
    const n = Math.min(done, total - done);
    out.copyWithin(at + done, at, at + n);
    done += n;
  }
}

function tile(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: Info };
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  if (x.dtype === 'string' || x.dtype === 'complex64') return runStock(backend, 'Tile', { x }, { reps });
  const out = backend.makeOutput(
    x.shape.map((n, d) => n * reps[d]!),
    x.dtype,
  );
  const values = backend.typedArrayFromHeap(x) as Values;
  const output = backend.typedArrayFromHeap(out) as Values;
  if (x.shape.length === 0) output.set(values);
  else if (output.length > 0) fill(values, output, mergeTileAxes(x.shape, reps), 0, 0, 0);
  return out;
}

export const tileConfig: tf.KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'wasm',
  kernelFunc: tile as tf.KernelFunc,
};
