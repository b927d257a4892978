/**
 * The WebGPU row of `npm run bench:train`: which adapter Dawn chose, and whether one training step
 * of each reference model gives the gradients tfjs's `cpu` backend gives on that device (a real
 * GPU's drivers compile the kernels differently from CI's Mesa, so agreement is checked where the
 * speed is measured). The images/s themselves come from train-cases.ts, as for every row.
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../ml/backends/select';
import { REFERENCE_MODELS, referenceStep, type ReferenceModel } from '../ml/backends/onednn/reference-steps';
import type { Measurement } from './train-cases';

/** A row of bench:train's table. */
export interface Row {
  label: string;
  peer: string;
  m: Measurement;
}

export interface GradientAgreement {
  model: ReferenceModel;
  /**
   * Largest |webgpu − cpu| over a tensor, relative to that tensor's largest |cpu| (at least 0.01:
   * some gradients are zero but for rounding, such as the shift of a batch norm whose output another
   * batch norm re-centres), worst over the loss and every gradient.
   */
  maxRelative: number;
  /** Where maxRelative is: "loss" or the weight's name. */
  worst: string;
  tensors: number;
  /** GPU programs recorded for the step's loss and gradients on webgpu (no optimiser update). */
  dispatches: number;
}

/** The adapter in words ("NVIDIA H200 · …, native"), or why there is none. */
export function adapterName(): string {
  const device = activeBackend()?.device;
  if (!device) return 'no adapter';
  return `${device.name} (${device.api === 'native' ? 'Vulkan/Metal/D3D12' : 'OpenGL ES'}${device.software ? ', software' : ''})`;
}

/**
 * One training step's loss and gradients of a reference model on `backend` (also the WebGPU test's,
 * ml/backends/webgpu/reference-steps.test.ts): `names` are "loss" then each parameter's.
 */
export async function gradientsOn(
  backend: string,
  model: ReferenceModel,
): Promise<{ names: string[]; values: Float32Array[]; shapes: number[][]; dispatches: number }> {
  await tf.setBackend(backend);
  // Same seeds on each backend: the same weights, batch and target.
  const reference = referenceStep(model);
  try {
    let values: Float32Array[] = [];
    let shapes: number[][] = [];
    const compute = async () => {
      const tensors = reference.gradients();
      values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
      shapes = tensors.map((t) => t.shape);
      tf.dispose(tensors);
    };
    let dispatches = 0;
    if (backend === 'webgpu') dispatches = await countDispatches(compute);
    else await compute();
    return { names: ['loss', ...reference.parameters.map((p) => p.name)], values, shapes, dispatches };
  } finally {
    reference.dispose();
  }
}

function relativeDifference(actual: Float32Array, expected: Float32Array): number {
  let scale = 0.01;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst / scale;
}

/** One training step's loss and gradients of each reference model on webgpu against cpu. Leaves webgpu active. */
export async function gradientAgreement(): Promise<GradientAgreement[]> {
  const rows: GradientAgreement[] = [];
  for (const model of REFERENCE_MODELS) {
    const gpu = await gradientsOn('webgpu', model);
    const cpu = await gradientsOn('cpu', model);
    const differences = gpu.values.map((values, i) => relativeDifference(values, cpu.values[i]!));
    const at = differences.indexOf(Math.max(...differences));
    rows.push({
      model,
      maxRelative: differences[at]!,
      worst: gpu.names[at]!,
      tensors: gpu.values.length,
      dispatches: gpu.dispatches,
    });
  }
  await tf.setBackend('webgpu');
  return rows;
}

type DispatchCounter = { prototype: { dispatchWorkgroups: (...args: unknown[]) => void } };

/**
 * GPU programs recorded during `step` (calls of Dawn's dispatchWorkgroups). At the reference
 * models' batches a GPU step costs mostly the recording of its programs (tfjs's uniforms, bind
 * group and calls into Dawn for each), so the count says as much as the images/s and does not
 * depend on the GPU.
 */
export async function countDispatches(step: () => Promise<void>): Promise<number> {
  const encoder = (globalThis as unknown as { GPUComputePassEncoder?: DispatchCounter }).GPUComputePassEncoder;
  if (!encoder) throw new Error('no WebGPU in this process');
  const original = encoder.prototype.dispatchWorkgroups;
  let count = 0;
  encoder.prototype.dispatchWorkgroups = function (this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  try {
    await step();
  } finally {
    encoder.prototype.dispatchWorkgroups = original;
  }
  return count;
}

/**
 * WebGPU's gradient agreement with the cpu backend, how its training steps ran (replayed from a
 * capture, against the row whose every step goes through tfjs), and its U-Net training against
 * Loupe's best CPU row.
 */
export function printWebGpu(rows: Row[], cpuRows: Row[]): void {
  const gpu = rows.find((row) => row.m.agreement);
  if (!gpu) return;
  const dispatches = Object.entries(gpu.m.dispatches ?? {});
  if (dispatches.length)
    console.log(
      `\nGPU programs recorded per training step on WebGPU: ${dispatches.map(([w, n]) => `${w} ${n}`).join(', ')}.`,
    );
  const replays = Object.entries(gpu.m.replays ?? {});
  if (replays.length) console.log(`WebGPU training steps: ${replays.map(([w, how]) => `${w}: ${how}`).join('; ')}.`);
  const tape = rows.find((row) => row !== gpu && row.m.adapter);
  if (tape) {
    const ratios = (['cnnTrain', 'bnCnnTrain', 'unetTrain'] as const).flatMap((key) => {
      const [a, b] = [gpu.m[key], tape.m[key]];
      return typeof a === 'number' && typeof b === 'number' ? [`${key} ${(a / b).toFixed(2)}×`] : [];
    });
    console.log(`Replayed steps against steps through tfjs (same GPU, same run): ${ratios.join(', ')}.`);
  }
  console.log(`\nOne training step of each reference model on ${gpu.m.adapter}, against tfjs's cpu backend:`);
  for (const a of gpu.m.agreement ?? [])
    console.log(
      `  ${a.model.padEnd(12)} loss and ${a.tensors - 1} gradients: max |webgpu − cpu| / max |cpu| ${a.maxRelative.toExponential(1)} (${a.worst}); ${a.dispatches} GPU programs`,
    );
  const best = cpuRows
    .filter((row) => typeof row.m.unetTrain === 'number')
    .sort((a, b) => (b.m.unetTrain as number) - (a.m.unetTrain as number))[0];
  if (best && typeof gpu.m.unetTrain === 'number')
    console.log(
      `U-Net training on WebGPU: ${(gpu.m.unetTrain / (best.m.unetTrain as number)).toFixed(2)}× Loupe's best CPU row (${best.label}, ${(best.m.unetTrain as number).toFixed(1)} images/s).`,
    );
}
