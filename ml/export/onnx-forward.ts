/**
 * ONNX Runtime as the model step of Loupe's Predictor: the model folder's layers model exported
 * to ONNX in memory (the exporter `loupe export` writes with; the Predictor keeps its own
 * preprocessing and post-processing) and run by onnxruntime-node's CPU provider. On Loupe's CNNs
 * ONNX Runtime's fused, blocked-layout kernels run the graph 1.4–1.6× faster than the engine's
 * tfjs graph (bench:predict), so prediction, which needs no gradients, runs there.
 *
 * A forward is only handed out after it agreed with the engine's own graph on inputs drawn at
 * load, within the same bound every ONNX export is held to (FP32_MAX_ABS_DIFF, relative to the
 * output's size); a model the exporter cannot write, or one that disagrees, stays on the engine.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { LoupeError } from '../../contract/index';
import type { ModelForward, Predictor } from '../train/predictor';
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAMES, exportOnnx } from './onnx-export';
import { withWeightsRead } from './onnx-kernels';
import { batchToChannelsFirst, toChannelsLast } from './onnx-parity';
import { FP32_MAX_ABS_DIFF } from './prediction-compare';
import { predictionSessionOptions } from './session-options';

/** Images of the agreement check at load. */
const CHECK_IMAGES = 2;

/** Values spread like a standardised image, the same on every load (a linear congruential generator). */
export function checkInput(length: number): Float32Array {
  const out = new Float32Array(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32) * 4 - 2;
  }
  return out;
}

/** `threads`: ONNX Runtime's intra-op threads (default every core, as the engine's backend). */
export async function onnxForward(predictor: Predictor, threads = os.availableParallelism()): Promise<ModelForward> {
  const { card } = predictor;
  const { rows, columns, channels } = card.input;
  const pixels = rows * columns;
  const outputName = EXPORT_OUTPUT_NAMES[card.task];
  const { bytes } = await withWeightsRead(predictor.model, () =>
    exportOnnx(predictor.model, card, { preprocessing: false }),
  );
  const session = await ort.InferenceSession.create(bytes, predictionSessionOptions(threads));
  const forward: ModelForward = {
    runtime: 'onnxruntime',
    async run(input, images) {
      const x = new ort.Tensor('float32', batchToChannelsFirst(input, images, rows, columns, channels), [
        images,
        channels,
        rows,
        columns,
      ]);
      const output = (await session.run({ [EXPORT_INPUT_NAME]: x }))[outputName];
      if (!output) throw new LoupeError('INTERNAL', `The compiled model has no output named ${outputName}.`);
      const data = output.data as Float32Array;
      const dims = output.dims.map(Number);
      if (dims.length !== 4) return { data, dims };
      const [n, c, h, w] = dims as [number, number, number, number];
      return { data: toChannelsLast(data, n, c, h * w), dims: [n, h, w, c] };
    },
    dispose() {
      void session.release();
    },
  };
  try {
    const input = checkInput(CHECK_IMAGES * pixels * channels);
    const [ours, engine] = [
      await forward.run(input, CHECK_IMAGES),
      await predictor.engineForward.run(input, CHECK_IMAGES),
    ];
    const scale = Math.max(1, ...engine.data.map(Math.abs));
    const diff = Math.max(...engine.data.map((v, i) => Math.abs(v - ours.data[i]!)));
    if (ours.data.length !== engine.data.length || !(diff <= FP32_MAX_ABS_DIFF * scale))
      throw new LoupeError(
        'INTERNAL',
        `ONNX Runtime's outputs differ from the engine's by ${diff.toExponential(2)} (allowed ${(FP32_MAX_ABS_DIFF * scale).toExponential(2)}).`,
      );
    return forward;
  } catch (error) {
    forward.dispose();
    throw error;
  }
}
