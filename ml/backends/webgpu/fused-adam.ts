/**
 * Adam's update on WebGPU as three GPU programs per parameter (the new m, v and p), in place of
 * the dozen tensor ops of optimizers.ts's path, each with its own dispatch and scalar uploads. On
 * a GPU a training step of a small model is bound by tfjs's per-kernel dispatch cost rather than
 * by arithmetic (an H200 spent 22 ms of a 224 ms U-Net step in kernels), so kernels saved are time
 * saved. The arithmetic is that path's, in its order, so both compute the same values.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { FUSED_ADAM, type FusedAdamAttrs } from '../../optim/fused-adam';

const WORKGROUP = 64;
const OUTPUTS = ['m', 'v', 'p'] as const;

class AdamProgram implements WebGPUProgram {
  variableNames = ['p', 'g', 'm', 'v'];
  uniforms =
    'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, epsilon : f32, stepSize : f32, ' +
    'bias2Sqrt : f32, l2Decay : f32, decayFactor : f32,';
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    shape: number[],
    private readonly output: (typeof OUTPUTS)[number],
  ) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / WORKGROUP), 1, 1];
    this.shaderKey = `loupeAdam_${output}`;
  }

  getUserCode(): string {
    const result = {
      m: 'mNext',
      v: 'vNext',
      p: 'p * uniforms.decayFactor - (mNext / (sqrt(vNext) / uniforms.bias2Sqrt + uniforms.epsilon)) * uniforms.stepSize',
    }[this.output];
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let p = getPByOutputIndex(index);
          let g = getGByOutputIndex(index) + p * uniforms.l2Decay;
          let mNext = getMByOutputIndex(index) * uniforms.beta1 + g * uniforms.oneMinusBeta1;
          let vNext = getVByOutputIndex(index) * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
          setOutputAtIndex(index, ${result});
        }
      }`;
  }
}

function fusedAdam(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const backend = args.backend as WebGPUBackend;
  const { p, g, m, v } = args.inputs as Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>;
  const [beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, stepSize, bias2Sqrt, l2Decay, decayFactor] = (
    args.attrs as unknown as FusedAdamAttrs
  ).constants as [number, number, number, number, number, number, number, number, number];
  const uniforms = [beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, stepSize, bias2Sqrt, l2Decay, decayFactor].map(
    (value) => ({ type: 'float32', data: [value] }),
  );
  // p, m and v in the order fusedAdamUpdate assigns them.
  const [nextM, nextV, nextP] = OUTPUTS.map((output) =>
    backend.runWebGPUProgram(new AdamProgram(p.shape, output), [p, g, m, v], 'float32', uniforms),
  );
  return [nextP!, nextM!, nextV!];
}

let registered = false;

/** Registers the fused update for the webgpu backend; the optimiser then takes it (ml/optim/fused-adam.ts). */
export function registerWebGpuFusedAdam(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: FUSED_ADAM, backendName: 'webgpu', kernelFunc: fusedAdam as tf.KernelFunc });
}
