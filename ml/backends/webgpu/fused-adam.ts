/**
 * Adam's update on WebGPU as one GPU program per parameter that writes the new m, v and p
 * (multi-output.ts), in place of the dozen tensor ops of optimizers.ts's path, each with its own
 * dispatch and scalar uploads. On a GPU a training step of a small model is bound by the cost of
 * recording dispatches rather than by arithmetic, so kernels saved are time saved (three programs,
 * one per output, were a third of a U-Net step's dispatches). The arithmetic is that path's, in
 * its order, so both compute the same values. The optimiser gives the parameters in pairs where
 * it can (FUSED_ADAM_PAIR): one program updates two parameters in place, half the programs again.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FUSED_ADAM, FUSED_ADAM_PAIR, type FusedAdamAttrs, type FusedAdamPairAttrs } from '../../optim/fused-adam';
import { bindingsWgsl, MAIN_PREAMBLE, runInPlace, runMultiOutput, type MultiOutputProgram } from './multi-output';

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

/**
 * Adam's arithmetic for element `at`: reads p, g, m and v, writes m, v and p under the names given
 * (the same buffers when in place), the constants read as uniforms.<constant><suffix>.
 */
function adamUpdate(
  read: Record<'p' | 'g' | 'm' | 'v', string>,
  write: Record<'p' | 'm' | 'v', string>,
  at: string,
  suffix = '',
): string {
  const u = (c: (typeof CONSTANTS)[number]) => `uniforms.${c}${suffix}`;
  return `
    let pIn = ${read.p}[${at}];
    let gIn = ${read.g}[${at}] + pIn * ${u('l2Decay')};
    let mNext = ${read.m}[${at}] * ${u('beta1')} + gIn * ${u('oneMinusBeta1')};
    let vNext = ${read.v}[${at}] * ${u('beta2')} + (gIn * gIn) * ${u('oneMinusBeta2')};
    ${write.m}[${at}] = mNext;
    ${write.v}[${at}] = vNext;
    ${write.p}[${at}] = pIn * ${u('decayFactor')} - (mNext / (sqrt(vNext) / ${u('bias2Sqrt')} + ${u('epsilon')})) * ${u('stepSize')};`;
}

const ADAM_WGSL = `${bindingsWgsl(['mOut', 'vOut', 'pOut'], ['p', 'g', 'm', 'v'], CONSTANTS.map((c) => `${c} : f32`).join(', '))}
${MAIN_PREAMBLE}${adamUpdate({ p: 'p', g: 'g', m: 'm', v: 'v' }, { p: 'pOut', m: 'mOut', v: 'vOut' }, 'index')}
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

/**
 * Two parameters' updates in one program, in place: p, m and v of each bound read_write (six
 * buffers) and both gradients read, eight storage buffers, WebGPU's guaranteed most. Thread i
 * updates element i of the first parameter, or element i − n0 of the second; the arithmetic is
 * ADAM_WGSL's, so both give the same values.
 */
const pairUniforms = ['n0 : i32', ...[0, 1].flatMap((k) => CONSTANTS.map((c) => `${c}${k} : f32`))].join(', ');

/** Parameter k's update at `at`, in place. */
function pairUpdate(k: number, at: string): string {
  const [p, g, m, v] = ['p', 'g', 'm', 'v'].map((name) => `${name}${k}`) as [string, string, string, string];
  return adamUpdate({ p, g, m, v }, { p, m, v }, at, `${k}`);
}

const ADAM_PAIR_WGSL = `${bindingsWgsl(['p0', 'm0', 'v0', 'p1', 'm1', 'v1'], ['g0', 'g1'], pairUniforms)}
${MAIN_PREAMBLE}
  if (index < uniforms.n0) {${pairUpdate(0, 'index')}
  } else {
    let i = index - uniforms.n0;${pairUpdate(1, 'i')}
  }
}`;

function fusedAdamPair(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const gpu = args.backend as WebGPUBackend;
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const { constants0, constants1 } = args.attrs as unknown as FusedAdamPairAttrs;
  const [p0, g0, m0, v0, p1, g1, m1, v1] = ['p0', 'g0', 'm0', 'v0', 'p1', 'g1', 'm1', 'v1'].map((n) => inputs[n]!);
  const state = [p0!, m0!, v0!, p1!, m1!, v1!];
  const sizes = [p0!, p1!].map((t) => tf.util.sizeFromShape(t.shape));
  // In place only where no other tensor reads the buffer; else each parameter's update makes new tensors.
  if (sizes.some((n) => n === 0) || state.some((t) => gpu.refCount(t.dataId) !== 1)) {
    const single = (p: tf.TensorInfo, g: tf.TensorInfo, m: tf.TensorInfo, v: tf.TensorInfo, constants: number[]) =>
      fusedAdam({ inputs: { p, g, m, v }, backend: gpu, attrs: { constants } as unknown as tf.NamedAttrMap });
    return [...single(p0!, g0!, m0!, v0!, constants0), ...single(p1!, g1!, m1!, v1!, constants1)];
  }
  const uniforms = [
    { type: 'int32' as const, data: [sizes[0]!] },
    ...[constants0, constants1].flatMap((constants) =>
      CONSTANTS.map((_, i) => ({ type: 'float32' as const, data: [constants[i]!] })),
    ),
  ];
  runInPlace(
    gpu,
    { key: 'loupeAdamPair', code: ADAM_PAIR_WGSL, threads: sizes[0]! + sizes[1]! },
    state,
    [g0!, g1!],
    uniforms,
  );
  return [];
}

let registered = false;

/** Registers the fused updates for the webgpu backend; the optimiser then takes them (ml/optim/fused-adam.ts). */
export function registerWebGpuFusedAdam(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: FUSED_ADAM, backendName: 'webgpu', kernelFunc: fusedAdam as tf.KernelFunc });
  tf.registerKernel({ kernelName: FUSED_ADAM_PAIR, backendName: 'webgpu', kernelFunc: fusedAdamPair as tf.KernelFunc });
}
