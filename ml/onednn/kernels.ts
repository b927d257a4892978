/**
 * The `onednn` backend: tfjs's wasm backend with its convolutions and matrix products — forward
 * and both gradients, where training spends most of its time — run by oneDNN on every core,
 * directly on the wasm heap (the addon reads and writes the tensors' own bytes; nothing is
 * copied). Every other op stays on wasm with Loupe's kernels, so there is no fallback copy.
 *
 * The kernels replace the wasm ones while `onednn` is the active backend and hand over to the
 * kernel they replaced otherwise (`setNativeKernels(false)`), so one process can compare both.
 * Cases oneDNN is not given here (an activation other than ReLU fused into a product, a
 * broadcast bias of another shape, NCHW data) also go to the replaced kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapView, type Info, type Shape4 } from '../kernels/wasm-calls';
import type { OneDnnAddon } from './addon';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Conv2DInfo = tf.backend_util.Conv2DInfo;

const enum ConvOp {
  Forward = 0,
  InputGradient = 1,
  FilterGradient = 2,
}

let addon: OneDnnAddon | null = null;
let enabled = false;

/** Routes convolutions and products to oneDNN (true) or to the kernels they replaced (false). */
export function setNativeKernels(on: boolean): void {
  enabled = on && addon !== null;
}

function convParams(info: Conv2DInfo, groups: number, hasBias: boolean, relu: boolean): Int32Array {
  const { padInfo: p } = info;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    p.top, p.bottom, p.left, p.right, groups, hasBias ? 1 : 0, relu ? 1 : 0,
  ]);
}

function isNhwc(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** Runs one convolution op into a new output of `outShape`; views are taken after the allocation. */
function runConv(backend: BackendWasm, op: ConvOp, a: Info, b: Info, outShape: number[], params: Int32Array, bias?: Info): Info {
  const out = backend.makeOutput(outShape, 'float32');
  const biasView = bias ? heapView(backend, bias) : undefined;
  addon!.conv(op, heapView(backend, a), heapView(backend, b), heapView(backend, out), params, biasView);
  return out;
}

interface Replaced {
  kernelFunc: tf.KernelFunc;
}

/** A kernel that runs `native` when it returns a result, else the kernel it replaced. */
function kernel(kernelName: string, native: (args: KernelArgs, backend: BackendWasm) => Info | null): tf.KernelConfig & { replaced?: Replaced } {
  const config: tf.KernelConfig & { replaced?: Replaced } = {
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const result = enabled ? native(args as KernelArgs, args.backend as BackendWasm) : null;
      return result ?? config.replaced!.kernelFunc(args);
    },
  };
  return config;
}

const conv2D = kernel(tf.Conv2D, ({ inputs, attrs }, backend) => {
  const { x, filter } = inputs as { x: Info; filter: Info };
  const a = attrs as unknown as tf.Conv2DAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, a.strides, a.dilations, a.pad, a.dimRoundingMode);
  return runConv(backend, ConvOp.Forward, x, filter, info.outShape, convParams(info, 1, false, false));
});

const fusedConv2D = kernel(tf.FusedConv2D, ({ inputs, attrs }, backend) => {
  const { x, filter, bias } = inputs as { x: Info; filter: Info; bias?: Info };
  const a = attrs as unknown as tf.FusedConv2DAttrs;
  const activation = a.activation ?? 'linear';
  if (!isNhwc(a.dataFormat) || (activation !== 'linear' && activation !== 'relu')) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, a.strides, a.dilations, a.pad, a.dimRoundingMode);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== info.outChannels)) return null;
  return runConv(backend, ConvOp.Forward, x, filter, info.outShape, convParams(info, 1, bias !== undefined, activation === 'relu'), bias);
});

const conv2DBackpropInput = kernel(tf.Conv2DBackpropInput, ({ inputs, attrs }, backend) => {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as Shape4, a.strides, 1, a.pad, a.dimRoundingMode);
  return runConv(backend, ConvOp.InputGradient, dy, filter, [...a.inputShape], convParams(info, 1, false, false));
});

const conv2DBackpropFilter = kernel(tf.Conv2DBackpropFilter, ({ inputs, attrs }, backend) => {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  return runConv(backend, ConvOp.FilterGradient, x, dy, [...a.filterShape], convParams(info, 1, false, false));
});

function depthwiseInfo(xShape: number[], filterShape: number[], a: { strides: number | [number, number]; dilations?: number | [number, number]; pad: tf.DepthwiseConv2dNativeAttrs['pad']; dimRoundingMode?: 'floor' | 'round' | 'ceil' }): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
}

const depthwise = kernel(tf.DepthwiseConv2dNative, ({ inputs, attrs }, backend) => {
  const { x, filter } = inputs as { x: Info; filter: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
  if (!isNhwc(a.dataFormat)) return null;
  const info = depthwiseInfo(x.shape, filter.shape, a);
  return runConv(backend, ConvOp.Forward, x, filter, info.outShape, convParams(info, info.inChannels, false, false));
});

const depthwiseBackpropInput = kernel(tf.DepthwiseConv2dNativeBackpropInput, ({ inputs, attrs }, backend) => {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = depthwiseInfo(a.inputShape, filter.shape, a);
  return runConv(backend, ConvOp.InputGradient, dy, filter, [...a.inputShape], convParams(info, info.inChannels, false, false));
});

const depthwiseBackpropFilter = kernel(tf.DepthwiseConv2dNativeBackpropFilter, ({ inputs, attrs }, backend) => {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = depthwiseInfo(x.shape, a.filterShape, a);
  return runConv(backend, ConvOp.FilterGradient, x, dy, [...a.filterShape], convParams(info, info.inChannels, false, false));
});

/** Batch sizes of a product's operands, or null when their batch shapes broadcast in a way oneDNN is not given here. */
function productShape(a: Info, b: Info, transposeA: boolean, transposeB: boolean): { params: number[]; outShape: number[] } | null {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const countA = batchA.reduce((p, d) => p * d, 1);
  const countB = batchB.reduce((p, d) => p * d, 1);
  const sameBatch = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
  if (!sameBatch && countA !== 1 && countB !== 1) return null;
  const [m, k] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
  const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
  const batch = countA >= countB ? batchA : batchB;
  return { params: [countA, countB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0], outShape: [...batch, m, n] };
}

function runProduct(backend: BackendWasm, a: Info, b: Info, shape: { params: number[]; outShape: number[] }, bias: Info | undefined, relu: boolean): Info {
  const out = backend.makeOutput(shape.outShape, 'float32');
  const params = Int32Array.from([...shape.params, bias ? 1 : 0, relu ? 1 : 0]);
  addon!.matmul(heapView(backend, a), heapView(backend, b), heapView(backend, out), params, bias ? heapView(backend, bias) : undefined);
  return out;
}

const batchMatMul = kernel(tf.BatchMatMul, ({ inputs, attrs }, backend) => {
  const { a, b } = inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const shape = productShape(a, b, transposeA, transposeB);
  return shape && runProduct(backend, a, b, shape, undefined, false);
});

const fusedMatMul = kernel(tf._FusedMatMul, ({ inputs, attrs }, backend) => {
  const { a, b, bias } = inputs as { a: Info; b: Info; bias?: Info };
  const attr = attrs as unknown as tf._FusedMatMulAttrs;
  const activation = attr.activation ?? 'linear';
  if (activation !== 'linear' && activation !== 'relu') return null;
  const shape = productShape(a, b, attr.transposeA, attr.transposeB);
  if (!shape || (bias && (bias.shape.length !== 1 || bias.shape[0] !== shape.outShape.at(-1)))) return null;
  return runProduct(backend, a, b, shape, bias, activation === 'relu');
});

const ONEDNN_KERNELS = [conv2D, fusedConv2D, conv2DBackpropInput, conv2DBackpropFilter, depthwise, depthwiseBackpropInput, depthwiseBackpropFilter, batchMatMul, fusedMatMul];

/** The kernels oneDNN runs, by tfjs kernel name (for `loupe engine info` and the tests). */
export const ONEDNN_KERNEL_NAMES: readonly string[] = ONEDNN_KERNELS.map((k) => k.kernelName);

let registered = false;

/**
 * Registers the oneDNN kernels over the wasm backend's (call after Loupe's wasm kernels are
 * registered: those are what they hand over to). Idempotent.
 */
export function registerOneDnnKernels(native: OneDnnAddon): void {
  addon = native;
  if (registered) return;
  for (const config of ONEDNN_KERNELS) {
    const replaced = tf.getKernel(config.kernelName, 'wasm');
    if (!replaced) throw new Error(`The wasm backend has no ${config.kernelName} kernel for oneDNN to stand in for.`);
    config.replaced = { kernelFunc: replaced.kernelFunc };
    tf.unregisterKernel(config.kernelName, 'wasm');
    // The stock kernel binds its wasm function in its setupFunc; the replaced kernel still needs it.
    tf.registerKernel(replaced.setupFunc ? { ...config, setupFunc: replaced.setupFunc } : config);
  }
  registered = true;
}
