/**
 * Adam's update on WebGPU as one GPU program per parameter that writes the new m, v and p
 * (multi-output.ts), in place of the dozen tensor ops of optimizers.ts's path, each with its own
 * dispatch and scalar uploads. On a GPU a training step of a small model is bound by the cost of
 * recording dispatches rather than by arithmetic, so kernels saved are time saved (three programs,
 * one per output, were a third of a U-Net step's dispatches). The arithmetic is that path's, in
 * its order, so both compute the same values.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FUSED_ADAM, type FusedAdamAttrs } from '../../optim/fused-adam';
import { bindingsWgsl, MAIN_PREAMBLE, runMultiOutput, type MultiOutputProgram } from './multi-output';

const CONSTANTS = [
  'beta1',
  'oneMinusBeta1',
  'beta2',
  'oneMinusBeta2',
  'epsilon',
  'stepSize',
  'bias2Sqrt',
  'l2Decay',
  'decayFactor',
] as const;

const ADAM_WGSL = `${bindingsWgsl(['mOut', 'vOut', 'pOut'], ['p', 'g', 'm', 'v'], CONSTANTS.map((c) => `${c} : f32`).join(', '))}
${MAIN_PREAMBLE}
  let pIn = p[index];
  let gIn = g[index] + pIn * uniforms.l2Decay;
  let mNext = m[index] * uniforms.beta1 + gIn * uniforms.oneMinusBeta1;
  let vNext = v[index] * uniforms.beta2 + (gIn * gIn) * uniforms.oneMinusBeta2;
  mOut[index] = mNext;
  vOut[index] = vNext;
  pOut[index] = pIn * uniforms.decayFactor - (mNext / (sqrt(vNext) / uniforms.bias2Sqrt + uniforms.epsilon)) * uniforms.stepSize;
}`;

function fusedAdam(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const { p, g, m, v } = args.inputs as Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>;
  const { constants } = args.attrs as unknown as FusedAdamAttrs;
  const program: MultiOutputProgram = { key: 'loupeAdam', code: ADAM_WGSL, threads: tf.util.sizeFromShape(p.shape) };
  const uniforms = CONSTANTS.map((_, i) => ({ type: 'float32' as const, data: [constants[i]!] }));
  const [nextM, nextV, nextP] = runMultiOutput(
    args.backend as WebGPUBackend,
    program,
    [p, g, m, v],
    [p.shape, p.shape, p.shape],
    uniforms,
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
