/**
 * A growing TFLite graph (one subgraph, NHWC, batch 1): tensors with their constant data,
 * operators in execution order, and the serialisation through the `flatbuffers` runtime and the
 * code flatc generated from tflite-format.fbs. Layer converters (tflite-layers.ts) append to it.
 */
import * as flatbuffers from 'flatbuffers';
import {
  Buffer,
  BuiltinOperator,
  BuiltinOptions,
  Metadata,
  Model,
  Operator,
  OperatorCode,
  QuantizationParameters,
  SubGraph,
  Tensor,
  TensorType,
} from './tflite-format/tflite-format_generated';

/** The TFLite schema version these files follow. */
export const TFLITE_SCHEMA_VERSION = 3;

export { BuiltinOperator, BuiltinOptions, TensorType };

export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  /** The axis `scale` runs along when it has one value per channel. */
  axis?: number;
}

export interface TfliteTensor {
  name: string;
  shape: number[];
  type: TensorType;
  /** Constant contents (little-endian), or undefined for activations. */
  data?: Uint8Array | undefined;
  quantization?: Quantization | undefined;
}

/** An operator's builtin options: the union member and a writer of its table. */
export interface OperatorOptions {
  type: BuiltinOptions;
  write(builder: flatbuffers.Builder): flatbuffers.Offset;
}

export interface TfliteOperator {
  op: BuiltinOperator;
  inputs: number[];
  outputs: number[];
  options?: OperatorOptions | undefined;
  /** The operator's version in the format: int8 kernels are later versions of the float ones. */
  version?: number | undefined;
}

function bytesOf(values: Float32Array | Int32Array | Int8Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
}

export class TfliteGraph {
  readonly tensors: TfliteTensor[] = [];
  readonly operators: TfliteOperator[] = [];
  private readonly used = new Set<string>();

  private unique(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}_${n}`;
    this.used.add(name);
    return name;
  }

  /** Adds a tensor and returns its index. */
  tensor(base: string, shape: number[], type = TensorType.FLOAT32, data?: Uint8Array, quantization?: Quantization) {
    this.tensors.push({ name: this.unique(base), shape, type, data, quantization });
    return this.tensors.length - 1;
  }

  float(base: string, shape: number[], values: Float32Array | readonly number[]): number {
    return this.tensor(base, shape, TensorType.FLOAT32, bytesOf(Float32Array.from(values)));
  }

  int32(base: string, values: readonly number[]): number {
    return this.tensor(base, [values.length], TensorType.INT32, bytesOf(Int32Array.from(values)));
  }

  /** Appends an operator writing a new activation tensor of `shape`; returns that tensor's index. */
  op(
    op: BuiltinOperator,
    inputs: number[],
    name: string,
    shape: number[],
    options?: OperatorOptions,
    type = TensorType.FLOAT32,
  ): number {
    const out = this.tensor(name, shape, type);
    this.operators.push({ op, inputs, outputs: [out], options });
    return out;
  }

  /** Appends an operator writing tensors made beforehand (the int8 pass sets their quantization). */
  push(operator: TfliteOperator): void {
    this.operators.push(operator);
  }

  shapeOf(tensor: number): number[] {
    return this.tensors[tensor]!.shape;
  }

  /** The flatbuffer file: buffer 0 is the empty one every activation points at, as the format requires. */
  encode(inputs: number[], outputs: number[], description: string, metadata: Record<string, string> = {}): Uint8Array {
    const b = new flatbuffers.Builder(1024);
    const codes: { op: BuiltinOperator; version: number }[] = [];
    const codeIndex = (op: BuiltinOperator, version = 1) => {
      const known = codes.findIndex((c) => c.op === op && c.version === version);
      if (known >= 0) return known;
      codes.push({ op, version });
      return codes.length - 1;
    };
    const buffers: flatbuffers.Offset[] = [Buffer.createBuffer(b, 0)];
    const bufferData = (data: Uint8Array) => {
      // Constant data aligned to 16 bytes, as the format's force_align asks (readers may map it in place).
      b.startVector(1, data.length, 16);
      for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]!);
      buffers.push(Buffer.createBuffer(b, b.endVector()));
      return buffers.length - 1;
    };
    // Per-channel zero points are int64 and mostly all zero: identical vectors are written once and shared.
    const shared = new Map<string, flatbuffers.Offset>();
    const zeroPoints = (values: number[]) => {
      const key = values.join(',');
      const known = shared.get(key);
      if (known !== undefined) return known;
      const offset = QuantizationParameters.createZeroPointVector(b, values.map(BigInt));
      shared.set(key, offset);
      return offset;
    };
    const tensors = this.tensors.map((t) => {
      const buffer = t.data ? bufferData(t.data) : 0;
      const name = b.createString(t.name);
      const shape = Tensor.createShapeVector(b, t.shape);
      let quantization = 0;
      if (t.quantization) {
        const scale = QuantizationParameters.createScaleVector(b, t.quantization.scale);
        const zeroPoint = zeroPoints(t.quantization.zeroPoint);
        QuantizationParameters.startQuantizationParameters(b);
        QuantizationParameters.addScale(b, scale);
        QuantizationParameters.addZeroPoint(b, zeroPoint);
        QuantizationParameters.addQuantizedDimension(b, t.quantization.axis ?? 0);
        quantization = QuantizationParameters.endQuantizationParameters(b);
      }
      Tensor.startTensor(b);
      Tensor.addShape(b, shape);
      Tensor.addType(b, t.type);
      Tensor.addBuffer(b, buffer);
      Tensor.addName(b, name);
      if (quantization) Tensor.addQuantization(b, quantization);
      return Tensor.endTensor(b);
    });
    const operators = this.operators.map((o) => {
      const ins = Operator.createInputsVector(b, o.inputs);
      const outs = Operator.createOutputsVector(b, o.outputs);
      const options = o.options ? o.options.write(b) : 0;
      Operator.startOperator(b);
      Operator.addOpcodeIndex(b, codeIndex(o.op, o.version));
      Operator.addInputs(b, ins);
      Operator.addOutputs(b, outs);
      if (o.options) {
        Operator.addBuiltinOptionsType(b, o.options.type);
        Operator.addBuiltinOptions(b, options);
      }
      return Operator.endOperator(b);
    });
    const subgraph = SubGraph.createSubGraph(
      b,
      SubGraph.createTensorsVector(b, tensors),
      SubGraph.createInputsVector(b, inputs),
      SubGraph.createOutputsVector(b, outputs),
      SubGraph.createOperatorsVector(b, operators),
      b.createString('main'),
    );
    const opcodes = codes.map((c) => OperatorCode.createOperatorCode(b, c.op, c.version, c.op));
    const meta = Object.entries(metadata).map(([key, value]) =>
      Metadata.createMetadata(b, b.createString(key), bufferData(new TextEncoder().encode(value))),
    );
    const model = Model.createModel(
      b,
      TFLITE_SCHEMA_VERSION,
      Model.createOperatorCodesVector(b, opcodes),
      Model.createSubgraphsVector(b, [subgraph]),
      b.createString(description),
      Model.createBuffersVector(b, buffers),
      Model.createMetadataVector(b, meta),
    );
    Model.finishModelBuffer(b, model);
    return b.asUint8Array().slice();
  }
}
