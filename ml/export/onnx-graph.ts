/**
 * A growing ONNX graph: nodes, initialisers and unique names. Converters for layers and for the
 * baked preprocessing append to it; onnx-proto.ts serialises the result.
 */
import { attr, floatTensor, int64Tensor, type OnnxAttribute, type OnnxNode, type TensorInit } from './onnx-proto';

export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: TensorInit[] = [];
  private readonly used = new Set<string>();

  /** A name not used yet, derived from `base` (layer names stay readable in Netron and in errors). */
  unique(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}_${n}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node and returns its (single) output name. */
  node(opType: string, inputs: string[], name: string, attributes: OnnxAttribute[] = [], output?: string): string {
    const out = output ?? this.unique(`${name}_out`);
    if (output) this.used.add(output);
    this.nodes.push({ opType, name: this.unique(name), input: inputs, output: [out], attribute: attributes });
    return out;
  }

  float(base: string, dims: number[], values: Float32Array | readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  int64(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push(int64Tensor(name, [values.length], values));
    return name;
  }

  scalar(base: string, value: number): string {
    return this.float(base, [], [value]);
  }

  /** NHWC → NCHW (perm 0 3 1 2) and back. */
  toNchw(input: string, name: string): string {
    return this.node('Transpose', [input], name, [attr.ints('perm', [0, 3, 1, 2])]);
  }

  toNhwc(input: string, name: string): string {
    return this.node('Transpose', [input], name, [attr.ints('perm', [0, 2, 3, 1])]);
  }
}
