/**
 * ONNX files are written through protobufjs from the official schema (ml/export/onnx.proto, copied
 * unchanged from ONNX 1.12, the release whose checker the tests run), never by packing bytes
 * ourselves: the library owns the wire format, the schema owns field numbers and types.
 */
import protobuf from 'protobufjs';
import onnxSchema from './onnx.proto?raw';

/** IR version 8 is what ONNX 1.12 writes for opset 17 (onnx.helper.VERSION_TABLE). */
export const ONNX_IR_VERSION = 8;
/** The default-domain opset every exported graph declares. */
export const ONNX_OPSET = 17;

/** TensorProto.DataType values used here. */
export const ONNX_DTYPE = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
/** AttributeProto.AttributeType values used here. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

export interface TensorInit {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  opType: string;
  name: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
  domain?: string;
}

/** A graph input or output: float32 by default; string dimensions are symbolic (`batch`), no dims = shape unknown. */
export interface OnnxValueInfo {
  name: string;
  dims?: (number | string)[];
  docString?: string;
  elemType?: number;
}

export interface OnnxModelParts {
  graphName: string;
  nodes: OnnxNode[];
  initializers: TensorInit[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString: string;
  metadata: Record<string, string>;
  producerVersion: string;
}

let modelType: protobuf.Type | null = null;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.parse(onnxSchema, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** Attribute builders: the value's kind picks the AttributeProto type. */
export const attr = {
  int: (name: string, i: number): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.int, i }),
  ints: (name: string, ints: number[]): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.ints, ints }),
  float: (name: string, f: number): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.float, f }),
  floats: (name: string, floats: number[]): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.floats, floats }),
  string: (name: string, s: string): OnnxAttribute => ({
    name,
    type: ATTRIBUTE_TYPE.string,
    s: new TextEncoder().encode(s),
  }),
};

/** Little-endian raw bytes, as TensorProto.raw_data requires on every platform. */
export function floatTensor(name: string, dims: number[], values: Float32Array | readonly number[]): TensorInit {
  const data = Float32Array.from(values);
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims, dataType: ONNX_DTYPE.float, rawData: bytes };
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): TensorInit {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims, dataType: ONNX_DTYPE.int64, rawData: bytes };
}

export function int8Tensor(name: string, dims: number[], values: Int8Array | Uint8Array, dataType: number): TensorInit {
  return { name, dims, dataType, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice() };
}

function valueInfo(v: OnnxValueInfo): object {
  return {
    name: v.name,
    doc_string: v.docString,
    type: {
      tensor_type: {
        elem_type: v.elemType ?? ONNX_DTYPE.float,
        ...(v.dims
          ? { shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } }
          : {}),
      },
    },
  };
}

/** The serialised ModelProto. */
export function encodeModel(parts: OnnxModelParts): Uint8Array {
  const type = modelProto();
  const message = type.fromObject({
    ir_version: ONNX_IR_VERSION,
    producer_name: 'loupe',
    producer_version: parts.producerVersion,
    doc_string: parts.docString,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    metadata_props: Object.entries(parts.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: parts.graphName,
      node: parts.nodes.map((n) => ({
        op_type: n.opType,
        name: n.name,
        input: n.input,
        output: n.output,
        attribute: n.attribute,
        domain: n.domain ?? '',
      })),
      initializer: parts.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        data_type: t.dataType,
        raw_data: t.rawData,
      })),
      input: parts.inputs.map(valueInfo),
      output: parts.outputs.map(valueInfo),
    },
  });
  return type.encode(message).finish();
}

/** Reads a ModelProto back (tests, and the int8 pass that rewrites an fp32 graph). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Array }) as Record<string, unknown>;
}
