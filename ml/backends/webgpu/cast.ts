/**
 * Casts from int32 and bool to float32 on WebGPU as a real conversion, in place of tfjs's.
 *
 * tfjs-backend-webgpu 4.22 "casts" int32 and bool to float32 by relabelling the same buffer (its
 * Cast kernel sees no loss of precision), so the buffer still holds i32 values while the tensor
 * says float32. A program declares each input's WGSL type from its buffer and its output's from
 * the tensor, and tfjs's transpose copies one into the other: `array<i32>` into `f32`, which Dawn
 * refuses to compile. A reduction over any axis but the last transposes first, so Loupe's Dice
 * loss on int32 masks (`truth.sum(1)`) failed every training step on WebGPU with a validation
 * error (without faults.ts watching: loss 0 and NaN gradients). Here the cast writes a float32
 * buffer, one program, and every later program reads what its tensor says.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const WORKGROUP = 64;

class ToFloatProgram implements WebGPUProgram {
  variableNames = ['x'];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey = 'loupeToFloat';

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(shape) / WORKGROUP), 1, 1];
  }

  getUserCode(): string {
    // `x` holds i32 for both int32 and bool (tfjs's dataTypeToGPUType).
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, f32(x[index]));
        }
      }`;
  }
}

type Data = { dtype: tf.DataType; values: tf.backend_util.BackendValues | null };

function castToFloat(x: tf.TensorInfo, backend: WebGPUBackend): tf.TensorInfo {
  const stored = (backend as unknown as { tensorMap: { get(id: object): Data } }).tensorMap.get(x.dataId);
  // Values still on the CPU (not yet uploaded) are converted there, as tfjs converts small tensors.
  if (stored.values && backend.shouldExecuteOnCPU([x]))
    return backend.makeTensorInfo(x.shape, 'float32', Float32Array.from(stored.values as Int32Array | Uint8Array));
  if (tf.util.sizeFromShape(x.shape) === 0) return backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0));
  return backend.runWebGPUProgram(new ToFloatProgram(x.shape), [x], 'float32');
}

let registered = false;

/** Puts the converting cast in place of tfjs's on the webgpu backend; safe to call more than once. */
export function registerWebGpuCast(): void {
  if (registered) return;
  registered = true;
  const stock = tf.getKernel('Cast', 'webgpu')!.kernelFunc;
  tf.unregisterKernel('Cast', 'webgpu');
  tf.registerKernel({
    kernelName: 'Cast',
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { dtype } = args.attrs as { dtype: tf.DataType };
      if (dtype === 'float32' && (x.dtype === 'int32' || x.dtype === 'bool'))
        return castToFloat(x, args.backend as WebGPUBackend);
      return stock(args);
    },
  });
}
