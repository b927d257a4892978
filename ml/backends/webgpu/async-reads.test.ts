/**
 * The engine's methods that read tensors back run on a WebGPU engine. WebGPU in Node has no
 * synchronous read (tfjs asks for an OffscreenCanvas), and CAM, Seg-Grad-CAM's probability, a
 * pair's similarity, the first convolution's filters, the exporters' weights and every export's
 * parity reference read synchronously: each failed there with "OffscreenCanvas is not defined".
 * Each is checked on WebGPU against tfjs's `cpu` backend with the same model folder. Runs where
 * Dawn finds an adapter (Mesa's llvmpipe on CI, forced), as webgpu.test.ts does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { explainClassification } from '../../explain/explain-classification';
import { explainSegmentation } from '../../explain/explain-segmentation';
import { pairCams } from '../../explain/explain-verification';
import { defaultTargetLayer, splitAt } from '../../explain/layer-split';
import { EXPORT_TEST_CASES, saveTestModel, testFrames } from '../../export/export-test-support';
import { exportOnnx } from '../../export/onnx-export';
import { withWeightsRead } from '../../export/onnx-kernels';
import { loupeRawOutputs } from '../../export/prediction-compare';
import { firstFilters } from '../../inspect/feature-maps';
import { Predictor } from '../../train/predictor';
import { initBackend } from '../select';
import { expectClose } from '../wasm-kernels/kernel-test-support';
import { chooseAdapter } from './adapters';
import { throwIfGpuFault } from './faults';

const forced = await chooseAdapter(true).then(
  () => true,
  () => false,
);

const folder = mkdtempSync(join(tmpdir(), 'loupe-webgpu-reads-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const spec = (name: string) => EXPORT_TEST_CASES.find(([n]) => n === name)![1];

/** `read` on a model folder of `name` (saved once, on cpu) with the model loaded on `backend`. */
async function on<T>(backend: string, name: string, read: (predictor: Predictor) => Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  // On the GPU even though the tensors are small (tfjs runs small ops on values it holds on the CPU).
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  const predictor = await Predictor.load(join(folder, name));
  try {
    const result = await read(predictor);
    if (backend === 'webgpu') throwIfGpuFault();
    return result;
  } finally {
    predictor.dispose();
    tf.env().set('WEBGPU_CPU_FORWARD', true);
  }
}

/** `read` on webgpu and on cpu, from the same model folder. */
async function bothBackends<T>(name: string, read: (predictor: Predictor) => Promise<T>): Promise<[T, T]> {
  await initBackend('webgpu');
  await tf.setBackend('cpu');
  await saveTestModel(join(folder, name), spec(name));
  return [await on('webgpu', name, read), await on('cpu', name, read)];
}

const close = (label: string, a: ArrayLike<number>, b: ArrayLike<number>, rtol?: number) =>
  expectClose({ values: Float32Array.from(a), shape: [] }, { values: Float32Array.from(b), shape: [] }, label, rtol);

describe.skipIf(!forced && process.env.CI !== 'true')(
  'reads on a WebGPU engine (forced; on Mesa where there is no GPU)',
  { timeout: 120_000 },
  () => {
    it('CAM and Grad-CAM heatmaps, the first convolution’s filters, ONNX export and its parity reference', async () => {
      const [frame] = testFrames(1, 32, 32);
      const [gpu, cpu] = await bothBackends('small CNN', async (predictor) => {
        const { model, card } = predictor;
        const cam = await explainClassification(model, card, frame!, { method: 'cam', classIndex: 1 });
        const gradCam = await explainClassification(model, card, frame!, { method: 'gradcam', classIndex: 1 });
        // Weights computed on the backend, as training leaves them: on webgpu only the GPU holds them.
        for (const weight of model.weights) weight.write(tf.tidy(() => tf.mul(weight.read(), 1)));
        const filters = await firstFilters(model, 8);
        const onnx = await withWeightsRead(model, () => exportOnnx(model, card, { preprocessing: false }).bytes);
        const raw = await loupeRawOutputs(model, new Float32Array(2 * 32 * 32).fill(0.25), [2, 32, 32, 1]);
        return { cam: cam.heatmap.values, gradCam: gradCam.heatmap.values, filters: filters!.weights, onnx, raw };
      });
      close('CAM', gpu.cam, cpu.cam);
      close('Grad-CAM', gpu.gradCam, cpu.gradCam);
      expect(gpu.filters).toEqual(cpu.filters);
      // The same weights, read ahead: the same ONNX file byte for byte.
      expect(Buffer.from(gpu.onnx).equals(Buffer.from(cpu.onnx))).toBe(true);
      close('raw outputs', gpu.raw, cpu.raw);
    });

    it('Seg-Grad-CAM and its region probability', async () => {
      const [frame] = testFrames(1, 32, 32);
      const name = EXPORT_TEST_CASES.find(([, s]) => s.task === 'segmentation')![0];
      const [gpu, cpu] = await bothBackends(name, async ({ model, card }) => {
        const explanation = await explainSegmentation(model, card, frame!, { method: 'gradcam', classIndex: 1 });
        return { heatmap: explanation.heatmap.values, probability: explanation.probability };
      });
      close('Seg-Grad-CAM', gpu.heatmap, cpu.heatmap);
      expect(gpu.probability).toBeCloseTo(cpu.probability, 5);
    });

    it('a pair’s Grad-CAMs and similarity', async () => {
      const name = EXPORT_TEST_CASES.find(([, s]) => s.task === 'verification')![0];
      const [gpu, cpu] = await bothBackends(name, async ({ model }) => {
        const a = tf.tidy(() => tf.randomUniform([1, 32, 32, 1], 0, 1, 'float32', 3)) as tf.Tensor4D;
        const b = tf.tidy(() => tf.randomUniform([1, 32, 32, 1], 0, 1, 'float32', 4)) as tf.Tensor4D;
        const split = splitAt(model, defaultTargetLayer(model));
        const pair = await pairCams(model, split, a, b, 'gradcam');
        tf.dispose([a, b]);
        return { similarity: pair.similarity, a: pair.a.values, b: pair.b.values };
      });
      expect(gpu.similarity).toBeCloseTo(cpu.similarity, 5);
      close('pair A', gpu.a, cpu.a);
      close('pair B', gpu.b, cpu.b);
    });
  },
);
