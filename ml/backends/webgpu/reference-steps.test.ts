/**
 * Issue 14, item 7, on the reference models (small CNN, ResNet-18, MobileNetV2, U-Net, the
 * CenterNet detector, the Siamese net; small inputs, ml/backends/onednn/reference-steps.ts, each
 * with its engine loss and its targets as the task's batches carry them): the loss and every
 * parameter's gradient of one training step on WebGPU agree with tfjs's `cpu` backend as oneDNN's
 * agree with wasm (expectStepAgreement). Runs where Dawn finds an adapter (Mesa's llvmpipe on CI,
 * forced), as webgpu.test.ts does.
 */
import { describe, expect, it } from 'vitest';
import { gradientsOn } from '../../../bench/train-webgpu';
import { REFERENCE_MODELS, type ReferenceModel } from '../onednn/reference-steps';
import { initBackend } from '../select';
import { expectStepAgreement } from '../wasm-kernels/kernel-test-support';
import { chooseAdapter } from './adapters';
import { throwIfGpuFault } from './faults';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

/** A step's loss and gradients as expectStepAgreement takes them, with the parameters' names. */
async function stepOn(backend: string, model: ReferenceModel) {
  const { names, values, shapes } = await gradientsOn(backend, model);
  return { names: names.slice(1), values: values.map((v, i) => ({ values: v, shape: shapes[i]! })) };
}

describe.skipIf(!forced && process.env.CI !== 'true')(
  'reference models on WebGPU (forced; on Mesa where there is no GPU)',
  { timeout: 120_000 },
  () => {
    it.each(REFERENCE_MODELS)('%s: loss and gradients of a training step agree with cpu', async (name) => {
      await initBackend('webgpu');
      const gpu = await stepOn('webgpu', name);
      expect(() => throwIfGpuFault()).not.toThrow();
      const cpu = await stepOn('cpu', name);
      expectStepAgreement(name, gpu.values, cpu.values, cpu.names);
    });
  },
);
