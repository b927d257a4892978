/**
 * The fp32 TFLite graph → full-integer int8, as TFLite's own converter quantizes: weights
 * symmetric int8 per output channel (per tensor for FULLY_CONNECTED), biases int32 at input scale ×
 * weight scale, activations asymmetric int8 from calibrated ranges, and the float input and output
 * kept through QUANTIZE and DEQUANTIZE at the ends. Operators whose int8 kernels require fixed
 * output parameters (pooling, reshape, softmax, logistic…) get them.
 */
import { LoupeError } from '../../../contract/index';
import {
  BuiltinOperator,
  TensorType,
  TfliteGraph,
  type Quantization,
  type TfliteOperator,
  type TfliteTensor,
} from './tflite-graph';
import type { TfliteModel } from './tflite-export';

const INT8_MIN = -128;
const INT8_MAX = 127;
/** Symmetric weights use −127…127, as TFLite's converter does (no −128: its negation overflows). */
const WEIGHT_MAX = 127;
/** The smallest scale a channel of all-zero weights gets, so that nothing divides by zero. */
const MIN_SCALE = 1e-9;

/** The int8 versions of the operators (TFLite registers int8 kernels under these). */
const INT8_VERSIONS: Partial<Record<BuiltinOperator, number>> = {
  [BuiltinOperator.CONV_2D]: 3,
  [BuiltinOperator.DEPTHWISE_CONV_2D]: 3,
  [BuiltinOperator.FULLY_CONNECTED]: 4,
  [BuiltinOperator.ADD]: 2,
  [BuiltinOperator.AVERAGE_POOL_2D]: 2,
  [BuiltinOperator.MAX_POOL_2D]: 2,
  [BuiltinOperator.MEAN]: 2,
  [BuiltinOperator.SOFTMAX]: 2,
  [BuiltinOperator.LOGISTIC]: 2,
  [BuiltinOperator.TANH]: 2,
  [BuiltinOperator.RELU]: 2,
  [BuiltinOperator.RELU6]: 2,
  [BuiltinOperator.QUANTIZE]: 2,
  [BuiltinOperator.DEQUANTIZE]: 2,
  [BuiltinOperator.L2_NORMALIZATION]: 2,
  [BuiltinOperator.RESIZE_NEAREST_NEIGHBOR]: 2,
};

/** Operators whose int8 output has its input's scale and zero point. */
const SAME_AS_INPUT = new Set([
  BuiltinOperator.MAX_POOL_2D,
  BuiltinOperator.AVERAGE_POOL_2D,
  BuiltinOperator.RESHAPE,
  BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
]);

/** Operators whose int8 output parameters are fixed by the format: [scale, zero point]. */
const FIXED_OUTPUT: Partial<Record<BuiltinOperator, [number, number]>> = {
  [BuiltinOperator.SOFTMAX]: [1 / 256, -128],
  [BuiltinOperator.LOGISTIC]: [1 / 256, -128],
  [BuiltinOperator.TANH]: [1 / 128, 0],
  [BuiltinOperator.L2_NORMALIZATION]: [1 / 128, 0],
};

/** Asymmetric int8 parameters covering [low, high] and 0. */
export function activationQuantization([low, high]: [number, number]): Quantization {
  const lo = Math.min(low, 0);
  const hi = Math.max(high, 0, lo + MIN_SCALE);
  const scale = (hi - lo) / (INT8_MAX - INT8_MIN);
  const zeroPoint = Math.min(INT8_MAX, Math.max(INT8_MIN, Math.round(INT8_MIN - lo / scale)));
  return { scale: [scale], zeroPoint: [zeroPoint] };
}

function floats(t: TfliteTensor): Float32Array {
  const data = t.data!;
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function bytes(values: Int8Array | Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Weights symmetric int8, per channel along `axis` (0 or the last), or per tensor. */
function quantizeWeights(w: Float32Array, shape: number[], axis: number | null): { data: Int8Array; q: Quantization } {
  const channels = axis === null ? 1 : shape[axis]!;
  const inner = axis === 0 ? w.length / channels : 1;
  const channelOf = (i: number) => (axis === null ? 0 : axis === 0 ? Math.floor(i / inner) : i % channels);
  const maxAbs = new Float32Array(channels);
  w.forEach((v, i) => (maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)]!, Math.abs(v))));
  const scale = Array.from(maxAbs, (m) => Math.max(m / WEIGHT_MAX, MIN_SCALE));
  const data = Int8Array.from(w, (v, i) =>
    Math.max(-WEIGHT_MAX, Math.min(WEIGHT_MAX, Math.round(v / scale[channelOf(i)]!))),
  );
  const q: Quantization = { scale, zeroPoint: scale.map(() => 0), ...(axis === null ? {} : { axis }) };
  return { data, q };
}

function refuse(what: string): never {
  throw new LoupeError(
    'INVALID_REQUEST',
    `The int8 TFLite export cannot quantize this model: ${what}. Export it as tflite (fp32) or onnx-int8 instead.`,
  );
}

const WEIGHTED = new Set([BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D, BuiltinOperator.FULLY_CONNECTED]);

/** A constant input of `op` in the int8 graph: int32 shapes as they are, weights int8, biases int32. */
function constant(
  g: TfliteGraph,
  c: TfliteTensor,
  op: TfliteOperator,
  k: number,
  inputScale: number,
  done: number[],
): number {
  if (c.type === TensorType.INT32) return g.tensor(c.name, c.shape, TensorType.INT32, c.data);
  if (!WEIGHTED.has(op.op)) refuse(`"${c.name}" is a float constant of ${BuiltinOperator[op.op]}`);
  if (k === 1) {
    const axis = op.op === BuiltinOperator.CONV_2D ? 0 : op.op === BuiltinOperator.DEPTHWISE_CONV_2D ? 3 : null;
    const { data, q } = quantizeWeights(floats(c), c.shape, axis);
    return g.tensor(c.name, c.shape, TensorType.INT8, bytes(data), q);
  }
  // The bias: int32 at input scale × each channel's weight scale.
  const weightScale = g.tensors[done[1]!]!.quantization!.scale;
  const values = floats(c);
  const scale = Array.from(values, (_, o) => inputScale * weightScale[weightScale.length === 1 ? 0 : o]!);
  const data = Int32Array.from(values, (v, o) => Math.round(v / scale[o]!));
  const perChannel = weightScale.length > 1;
  const q: Quantization = perChannel
    ? { scale, zeroPoint: scale.map(() => 0), axis: 0 }
    : { scale: [scale[0]!], zeroPoint: [0] };
  return g.tensor(c.name, c.shape, TensorType.INT32, bytes(data), q);
}

/**
 * Each activation tensor's int8 parameters. Tensors that must share them — an operator of
 * SAME_AS_INPUT with its input, a CONCATENATION's inputs with its output (TFLite's int8 kernel
 * refuses to rescale) — form one group whose range covers all its members' ranges.
 */
function activationParameters(
  src: TfliteGraph,
  ranges: ReadonlyMap<number, [number, number]>,
): Map<number, Quantization> {
  const parent = new Map<number, number>();
  const root = (t: number): number => {
    const p = parent.get(t) ?? t;
    if (p === t) return t;
    const r = root(p);
    parent.set(t, r);
    return r;
  };
  const join = (a: number, b: number) => parent.set(root(a), root(b));
  const fixed = new Map<number, [number, number]>();
  for (const op of src.operators) {
    const out = op.outputs[0]!;
    if (SAME_AS_INPUT.has(op.op)) join(out, op.inputs[0]!);
    if (op.op === BuiltinOperator.CONCATENATION) op.inputs.forEach((t) => join(out, t));
    const f = FIXED_OUTPUT[op.op];
    if (f) fixed.set(out, f);
  }
  const groupRange = new Map<number, [number, number]>();
  const groupFixed = new Map<number, [number, number]>();
  for (const [t, [low, high]] of ranges) {
    const r = root(t);
    const known = groupRange.get(r);
    groupRange.set(r, known ? [Math.min(known[0], low), Math.max(known[1], high)] : [low, high]);
  }
  for (const [t, f] of fixed) {
    const r = root(t);
    const members = [...ranges.keys()].filter((m) => root(m) === r);
    if (members.length > 1)
      refuse(
        `"${src.tensors[t]!.name}" has fixed int8 parameters but must share them with ${src.tensors[members.find((m) => m !== t)!]!.name}`,
      );
    groupFixed.set(r, f);
  }
  const out = new Map<number, Quantization>();
  for (const t of ranges.keys()) {
    const f = groupFixed.get(root(t));
    out.set(t, f ? { scale: [f[0]], zeroPoint: [f[1]] } : activationQuantization(groupRange.get(root(t))!));
  }
  return out;
}

/** `ranges[i]` is the calibrated [min, max] of activation tensor i of the fp32 graph. */
export function quantizeTflite(fp32: TfliteModel, ranges: ReadonlyMap<number, [number, number]>): TfliteModel {
  const src = fp32.graph;
  const g = new TfliteGraph();
  const mapped = new Map<number, number>();
  const quantOf = (t: number) => g.tensors[mapped.get(t)!]!.quantization!;
  const parameters = activationParameters(src, ranges);
  const paramsOf = (t: number) => parameters.get(t) ?? refuse(`no calibrated range for "${src.tensors[t]!.name}"`);
  const input = g.tensor(fp32.input.name, fp32.input.shape);
  const q0 = g.tensor(
    `${fp32.input.name}_int8`,
    fp32.input.shape,
    TensorType.INT8,
    undefined,
    paramsOf(fp32.inputTensor),
  );
  g.push({
    op: BuiltinOperator.QUANTIZE,
    inputs: [input],
    outputs: [q0],
    version: INT8_VERSIONS[BuiltinOperator.QUANTIZE],
  });
  mapped.set(fp32.inputTensor, q0);
  for (const op of src.operators) {
    const out = op.outputs[0]!;
    const source = src.tensors[out]!;
    if (op.op === BuiltinOperator.MUL)
      refuse(`"${source.name}" is a batch norm that no convolution before it could take in`);
    const first = mapped.get(op.inputs[0]!);
    if (first === undefined) refuse(`"${source.name}" reads a constant as its first input`);
    const inputScale = quantOf(op.inputs[0]!).scale[0]!;
    const inputs: number[] = [];
    op.inputs.forEach((t, k) => inputs.push(mapped.get(t) ?? constant(g, src.tensors[t]!, op, k, inputScale, inputs)));
    const quantization = paramsOf(out);
    const output = g.tensor(source.name, source.shape, TensorType.INT8, undefined, quantization);
    mapped.set(out, output);
    g.push({ ...op, inputs, outputs: [output], version: INT8_VERSIONS[op.op] ?? 1 } satisfies TfliteOperator);
  }
  const last = mapped.get(fp32.outputTensor)!;
  g.tensors[last]!.name = `${fp32.output.name}_int8`;
  const output = g.tensor(fp32.output.name, fp32.output.shape);
  g.push({
    op: BuiltinOperator.DEQUANTIZE,
    inputs: [last],
    outputs: [output],
    version: INT8_VERSIONS[BuiltinOperator.DEQUANTIZE],
  });
  return { ...fp32, graph: g, inputTensor: input, outputTensor: output };
}
