/**
 * Static int8 quantization in QDQ form, the way ONNX Runtime's `quantize_static` writes it
 * (QuantFormat.QDQ, QInt8 weights and activations): every Conv and Gemm gets its weights as int8
 * with one symmetric scale per output channel behind a DequantizeLinear, and its input activation
 * as a QuantizeLinear → DequantizeLinear pair with one asymmetric scale and zero point per tensor,
 * calibrated on images of the training split (MinMax, or a percentile of |x| as ORT's Percentile
 * calibrator). Biases and the other ops stay float: a runtime fuses the QDQ pairs into int8 kernels.
 */
import * as ort from 'onnxruntime-node';
import { LoupeError } from '../../contract/index';
import {
  attr,
  encodeModel,
  floatTensor,
  int8Tensor,
  ONNX_DTYPE,
  type OnnxModelParts,
  type TensorInit,
} from './onnx-proto';

export const CALIBRATION_METHODS = ['minmax', 'percentile'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];
/** ORT's Percentile calibrator default: the 99.999th percentile of |x|. */
export const DEFAULT_PERCENTILE = 99.999;
/** Values kept per tensor per image for the percentile (evenly spaced): bounds memory on big maps. */
const PERCENTILE_SAMPLES_PER_IMAGE = 20_000;
/** Symmetric int8 weights use [−127, 127], as ORT does, so that −w and w quantize alike. */
const WEIGHT_QMAX = 127;
const QUANTIZED_OPS = new Set(['Conv', 'Gemm']);

export type ActivationRanges = Map<string, [number, number]>;

/** Activation tensors whose range the QDQ graph needs: the data input of every Conv and Gemm. */
export function calibrationTargets(parts: OnnxModelParts): string[] {
  return [...new Set(parts.nodes.filter((n) => QUANTIZED_OPS.has(n.opType)).map((n) => n.input[0]!))];
}

/** Ranges of the targets over calibration batches, run by ONNX Runtime on the fp32 graph. */
export async function calibrate(
  parts: OnnxModelParts,
  batches: AsyncIterable<ort.Tensor> | Iterable<ort.Tensor>,
  method: CalibrationMethod,
  percentile = DEFAULT_PERCENTILE,
): Promise<ActivationRanges> {
  const targets = calibrationTargets(parts);
  const inputName = parts.inputs[0]!.name;
  const probe = encodeModel({
    ...parts,
    outputs: [...parts.outputs, ...targets.filter((t) => t !== inputName).map((name) => ({ name }))],
  });
  const session = await ort.InferenceSession.create(probe, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ranges: ActivationRanges = new Map();
  const samples = new Map<string, number[]>();
  try {
    for await (const batch of batches) {
      const result = await session.run({ [inputName]: batch });
      for (const name of targets) {
        const values = (name === inputName ? batch.data : result[name]!.data) as Float32Array;
        if (method === 'minmax') {
          let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
          for (const v of values) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          ranges.set(name, [lo, hi]);
        } else {
          const kept = samples.get(name) ?? [];
          const step = Math.max(1, Math.floor(values.length / (PERCENTILE_SAMPLES_PER_IMAGE * batch.dims[0]!)));
          for (let i = 0; i < values.length; i += step) kept.push(Math.abs(values[i]!));
          samples.set(name, kept);
        }
      }
    }
  } finally {
    await session.release();
  }
  for (const [name, kept] of samples) {
    const sorted = Float64Array.from(kept).sort();
    const t = sorted[Math.min(sorted.length - 1, Math.round((percentile / 100) * (sorted.length - 1)))] ?? 0;
    ranges.set(name, [-t, t]);
  }
  if (ranges.size === 0)
    throw new LoupeError(
      'INVALID_REQUEST',
      'No calibration image reached the model: give at least one training image.',
    );
  return ranges;
}

/** Asymmetric int8 scale and zero point of a range widened to hold 0 (ORT's compute_scale_zp). */
function activationParams([lo, hi]: [number, number]): { scale: number; zeroPoint: number } {
  const rmin = Math.min(lo, 0);
  const rmax = Math.max(hi, 0);
  const scale = rmax > rmin ? (rmax - rmin) / 255 : 1;
  return { scale, zeroPoint: Math.max(-128, Math.min(127, Math.round(-128 - rmin / scale))) };
}

function floats(t: TensorInit): Float32Array {
  const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
  return Float32Array.from({ length: t.rawData.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** Per-channel symmetric int8 of a weight along `axis` (0 for Conv's [out, …], 1 for Gemm's [in, out]). */
function quantizeWeight(t: TensorInit, axis: 0 | 1): { q: Int8Array; scales: Float32Array } {
  const w = floats(t);
  const channels = t.dims[axis]!;
  const inner = axis === 0 ? w.length / channels : 1;
  const outer = axis === 0 ? 1 : channels;
  const channelOf = (i: number) => (axis === 0 ? Math.floor(i / inner) : i % outer);
  const scales = new Float32Array(channels);
  w.forEach((v, i) => (scales[channelOf(i)] = Math.max(scales[channelOf(i)]!, Math.abs(v))));
  scales.forEach((m, c) => (scales[c] = m > 0 ? m / WEIGHT_QMAX : 1));
  const q = Int8Array.from(w, (v, i) =>
    Math.max(-WEIGHT_QMAX, Math.min(WEIGHT_QMAX, Math.round(v / scales[channelOf(i)]!))),
  );
  return { q, scales };
}

function getAttribute(node: OnnxModelParts['nodes'][number], name: string): number | undefined {
  return node.attribute.find((a) => a.name === name)?.f;
}

/**
 * Batch norms after a convolution folded into its weights and bias, as ORT's graph optimiser
 * does before quantize_static: otherwise their float parameters stay beside the int8 weights.
 */
export function foldBatchNorms(parts: OnnxModelParts): OnnxModelParts {
  const initializers = new Map(parts.initializers.map((t) => [t.name, t]));
  const consumers = new Map<string, number>();
  for (const n of parts.nodes) for (const i of n.input) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const producer = new Map(parts.nodes.map((n) => [n.output[0]!, n]));
  const dropped = new Set<string>();
  const droppedNodes = new Set<OnnxModelParts['nodes'][number]>();
  const replaced = new Map<string, TensorInit>();
  const nodes: OnnxModelParts['nodes'] = [];
  const rewired = new Map<OnnxModelParts['nodes'][number], OnnxModelParts['nodes'][number]>();
  for (const node of parts.nodes) {
    const conv = node.opType === 'BatchNormalization' ? producer.get(node.input[0]!) : undefined;
    if (!conv || conv.opType !== 'Conv' || consumers.get(node.input[0]!) !== 1) continue;
    const [scale, beta, mean, variance] = node.input.slice(1).map((n) => floats(initializers.get(n)!));
    const epsilon = getAttribute(node, 'epsilon') ?? 1e-5;
    const weight = initializers.get(conv.input[1]!)!;
    const w = floats(weight);
    const channels = weight.dims[0]!;
    const per = w.length / channels;
    const factor = Float32Array.from({ length: channels }, (_, c) => scale![c]! / Math.sqrt(variance![c]! + epsilon));
    const bias = conv.input[2] ? floats(initializers.get(conv.input[2])!) : new Float32Array(channels);
    const foldedW = Float32Array.from(w, (v, i) => v * factor[Math.floor(i / per)]!);
    const foldedB = Float32Array.from({ length: channels }, (_, c) => (bias[c]! - mean![c]!) * factor[c]! + beta![c]!);
    const biasName = `${conv.input[1]!}_folded_bias`;
    replaced.set(conv.input[1]!, floatTensor(conv.input[1]!, weight.dims, foldedW));
    replaced.set(biasName, floatTensor(biasName, [channels], foldedB));
    if (conv.input[2]) dropped.add(conv.input[2]);
    node.input.slice(1).forEach((n) => dropped.add(n));
    rewired.set(conv, { ...conv, input: [conv.input[0]!, conv.input[1]!, biasName], output: node.output });
    droppedNodes.add(node);
  }
  for (const node of parts.nodes) {
    if (droppedNodes.has(node)) continue;
    nodes.push(rewired.get(node) ?? node);
  }
  const kept = parts.initializers.filter((t) => !dropped.has(t.name)).map((t) => replaced.get(t.name) ?? t);
  const newBiases = [...replaced.values()].filter((t) => !initializers.has(t.name));
  return { ...parts, nodes, initializers: [...kept, ...newBiases] };
}

/** The QDQ int8 graph of `parts` (fold its batch norms first) with activation ranges calibrated on it. */
export function quantizeQdq(parts: OnnxModelParts, ranges: ActivationRanges): OnnxModelParts {
  const initializers = new Map(parts.initializers.map((t) => [t.name, t]));
  const nodes: OnnxModelParts['nodes'] = [];
  const added: TensorInit[] = [];
  const dequantized = new Map<string, string>();
  const activation = (name: string): string => {
    const known = dequantized.get(name);
    if (known) return known;
    const range = ranges.get(name);
    if (!range) throw new LoupeError('INTERNAL', `No calibration range for ${name}.`);
    const { scale, zeroPoint } = activationParams(range);
    added.push(
      floatTensor(`${name}_scale`, [], [scale]),
      int8Tensor(`${name}_zero_point`, [], Int8Array.of(zeroPoint), ONNX_DTYPE.int8),
    );
    const params = [`${name}_scale`, `${name}_zero_point`];
    nodes.push({
      opType: 'QuantizeLinear',
      name: `${name}_QuantizeLinear`,
      input: [name, ...params],
      output: [`${name}_quantized`],
      attribute: [],
    });
    nodes.push({
      opType: 'DequantizeLinear',
      name: `${name}_DequantizeLinear`,
      input: [`${name}_quantized`, ...params],
      output: [`${name}_dequantized`],
      attribute: [],
    });
    dequantized.set(name, `${name}_dequantized`);
    return `${name}_dequantized`;
  };
  const quantizedWeights = new Set<string>();
  for (const node of parts.nodes) {
    if (!QUANTIZED_OPS.has(node.opType)) {
      nodes.push(node);
      continue;
    }
    const [x, w, ...rest] = node.input as [string, string, ...string[]];
    const weight = initializers.get(w)!;
    const axis = node.opType === 'Conv' ? 0 : 1;
    const { q, scales } = quantizeWeight(weight, axis);
    quantizedWeights.add(w);
    added.push(
      int8Tensor(`${w}_quantized`, weight.dims, q, ONNX_DTYPE.int8),
      floatTensor(`${w}_scale`, [scales.length], scales),
      int8Tensor(`${w}_zero_point`, [scales.length], new Int8Array(scales.length), ONNX_DTYPE.int8),
    );
    nodes.push({
      opType: 'DequantizeLinear',
      name: `${w}_DequantizeLinear`,
      input: [`${w}_quantized`, `${w}_scale`, `${w}_zero_point`],
      output: [`${w}_dequantized`],
      attribute: [attr.int('axis', axis)],
    });
    nodes.push({ ...node, input: [activation(x), `${w}_dequantized`, ...rest] });
  }
  return {
    ...parts,
    nodes,
    initializers: [...parts.initializers.filter((t) => !quantizedWeights.has(t.name)), ...added],
    metadata: {
      ...parts.metadata,
      quantization: 'int8 QDQ: per-channel symmetric weights, per-tensor asymmetric activations',
    },
  };
}
