/**
 * The gradients of ReLU and ReLU6 on WebGPU as one program each (ml/backends/lean-gradients.ts
 * takes them where a backend registers them), in place of tfjs's two programs (step, product) and
 * four (less-equal, step, two products). On a GPU a small model's training step is bound by the
 * cost of recording dispatches (multi-output.ts), and a U-Net has a ReLU after every convolution.
 * The values are tfjs's bit for bit: dy times the same mask, NaN in x giving NaN.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { RELU6_GRAD, RELU_GRAD } from '../lean-gradients';

const WORKGROUP = 64;

/** tfjs's step(x): NaN stays NaN, else 1 above zero and 0 elsewhere. */
const STEP = 'select(select(0.0, 1.0, x > 0.0), x, isnan(x))';

class ReluGradientProgram implements WebGPUProgram {
  variableNames = ['dy', 'x'];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    shape: number[],
    private readonly six: boolean,
  ) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(shape) / WORKGROUP), 1, 1];
    this.shaderKey = `loupeReluGrad_${six}`;
  }

  getUserCode(): string {
    const mask = this.six ? `(select(0.0, 1.0, x <= 6.0) * ${STEP})` : STEP;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let x = getXByOutputIndex(index);
          setOutputAtIndex(index, getDyByOutputIndex(index) * ${mask});
        }
      }`;
  }
}

function gradient(six: boolean): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    if (dy.shape.join() !== x.shape.join())
      throw new Error(`The ReLU gradient has shape ${dy.shape}, its input ${x.shape}.`);
    return (backend as WebGPUBackend).runWebGPUProgram(new ReluGradientProgram(x.shape, six), [dy, x], 'float32');
  };
}

let registered = false;

/** Registers both gradients for the webgpu backend; safe to call more than once. */
export function registerWebGpuReluGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'webgpu', kernelFunc: gradient(false) });
  tf.registerKernel({ kernelName: RELU6_GRAD, backendName: 'webgpu', kernelFunc: gradient(true) });
}
