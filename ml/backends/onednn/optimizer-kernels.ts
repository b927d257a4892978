/**
 * Batch normalisation's forward pass and Adam's update on the addon. Adam is one fused pass over
 * a parameter, its gradient and both moments (tfjs would run a dozen element-wise kernels per
 * parameter): `FUSED_ADAM`, which the engine's optimiser calls where it is registered, writes
 * the variables' buffers in place — unless another tensor shares one, then it returns new values
 * for the optimiser to assign.
 */
import * as tf from '@tensorflow/tfjs';
import { ONEDNN_TFJS_NAME, type OneDnnBackend } from './native-backend';
import { FUSED_ADAM, type FusedAdamAttrs } from '../../optim/fused-adam';
import { type Info } from '../wasm-kernels/wasm-calls';
import { MapOp, walkParams } from './elementwise-kernels';
import { addon, nativeKernel, recordNative, type NativeKernel } from './native-kernel';

const ADD = 0;
const SUB = 1;
const MUL = 2;

/** y = (x − mean) · rsqrt(variance + ε) · scale + offset, the per-channel factor computed once. */
const batchNorm = nativeKernel(tf.FusedBatchNorm, ({ inputs, attrs }, backend) => {
  const { x, mean, variance, offset, scale } = inputs as Record<string, Info | undefined> & { x: Info };
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const all = [x, mean!, variance!, offset, scale].filter((t): t is Info => t !== undefined);
  if (all.some((t) => t.dtype !== 'float32') || x.shape.length > 8) return null;
  const factorShape = scale
    ? tf.backend_util.assertAndGetBroadcastShape(variance!.shape, scale.shape)
    : variance!.shape;
  const native = addon();
  // The factor is a few values per channel: a plain array, not a tensor.
  const factor = new Float32Array(factorShape.reduce((a, b) => a * b, 1));
  native.zip(
    ADD,
    backend.floats(variance!),
    Float32Array.of(varianceEpsilon),
    factor,
    walkParams(factorShape, [variance!.shape, []]),
  );
  native.map(MapOp.Rsqrt, factor, factor, 0, 0);
  if (scale)
    native.zip(MUL, factor, backend.floats(scale), factor, walkParams(factorShape, [factorShape, scale.shape]));
  const y = backend.makeOutput(x.shape, 'float32');
  const out = backend.floats(y);
  native.zip(SUB, backend.floats(x), backend.floats(mean!), out, walkParams(x.shape, [x.shape, mean!.shape]));
  native.zip(MUL, out, factor, out, walkParams(x.shape, [x.shape, factorShape]));
  if (offset) native.zip(ADD, out, backend.floats(offset), out, walkParams(x.shape, [x.shape, offset.shape]));
  return y;
});

export const NORMALISATION_KERNELS: readonly NativeKernel[] = [batchNorm];

/**
 * True when no other tensor reads this buffer, so writing it in place changes only its variable.
 * The backend counts every tensor on a buffer (tfjs's engine increments it for each).
 */
function ownsBuffer(backend: OneDnnBackend, info: Info): boolean {
  return backend.refCount(info.dataId) === 1;
}

function fusedAdam(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info[] {
  const backend = args.backend as OneDnnBackend;
  const { p, g, m, v } = args.inputs as { p: Info; g: Info; m: Info; v: Info };
  const constants = Float32Array.from((args.attrs as unknown as FusedAdamAttrs).constants);
  recordNative(FUSED_ADAM);
  const state = [p, m, v];
  const inPlace = state.every((t) => ownsBuffer(backend, t));
  const targets = inPlace
    ? state
    : state.map((t) => {
        const copy = backend.makeOutput(t.shape, 'float32');
        addon().map(MapOp.Copy, backend.floats(t), backend.floats(copy), 0, 0);
        return copy;
      });
  const [tp, tm, tv] = targets.map((t) => backend.floats(t)) as [Float32Array, Float32Array, Float32Array];
  addon().adam(tp, backend.floats(g), tm, tv, constants);
  return inPlace ? [] : targets;
}

export const FUSED_ADAM_KERNEL: tf.KernelConfig = {
  kernelName: FUSED_ADAM,
  backendName: ONEDNN_TFJS_NAME,
  kernelFunc: fusedAdam,
};
