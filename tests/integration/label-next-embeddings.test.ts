/**
 * "Label next" spreads its picks over the model's penultimate-layer embedding, computed by the
 * engine's predict method in the same pass as the prediction. The embeddings equal a PyTorch twin
 * of the saved model (tests/reference/torch_layers.py: the output of the classifier's global
 * average pooling; a U-Net's last feature map averaged over the image), and greedy k-center on
 * them picks what NumPy / scikit-learn pick (tests/reference/uncertainty_reference.py) on the
 * twin's embeddings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictRequestSchema, preprocessingSpecSchema } from '../../contract/index';
import { byScore, kCenter } from '../../main/services/training/uncertainty';
import { preprocessFrame } from '../../ml/data/preprocessing';
import { saveTestModel, testFrames, type TestModelSpec } from '../../ml/export/export-test-support';
import { engineHandlers } from '../../ml/methods/index';
import { loadModelFolder } from '../../ml/model-io/model-folder';
import { nodeOf } from '../../ml/explain/layer-split';
import { engineContext } from '../helpers/engine-training';
import { runReference } from '../helpers/python-reference';
import { describeLayers } from '../helpers/torch-twin';

/** Raw features, float32 against float64. */
const REFERENCE_TOLERANCE = 1e-4;
const SIDE = 32;
const FRAMES = 24;
const K = 6;
/** Torch's import and a forward pass of each model on a shared CPU. */
const REFERENCE_TEST_TIMEOUT_MS = 120_000;

const preprocessing = preprocessingSpecSchema.parse({
  rows: SIDE,
  columns: SIDE,
  intensity: { mode: 'range', min: -500, max: 3500 },
});

const MODELS: [string, TestModelSpec][] = [
  [
    'small-CNN classifier',
    {
      task: 'classification',
      model: { architecture: 'small-cnn', filters: [8, 16] },
      classes: ['a', 'b', 'c'],
      preprocessing,
    },
  ],
  [
    'U-Net',
    {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 2, baseFilters: 4 },
      classes: ['bg', 'x', 'y'],
      preprocessing,
    },
  ],
];

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-label-next-embeddings-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The twin's penultimate features per frame: its last layer's input, averaged over rows and columns when a map. */
async function twinEmbeddings(modelDir: string, inputs: Float32Array[]): Promise<number[][]> {
  const { model } = await loadModelFolder(modelDir);
  const penultimate = nodeOf(model.layers.at(-1)!).inputTensors[0]!;
  const channels = penultimate.shape.at(-1)!;
  const reference = runReference<{ activations: Record<string, number[]> }>('torch_layers.py', {
    layers: describeLayers(model),
    input: { shape: [inputs.length, SIDE, SIDE, 1], data: inputs.flatMap((i) => Array.from(i)) },
    targets: [penultimate.sourceLayer.name],
    filters: null,
  });
  model.dispose();
  const flat = reference.activations[penultimate.sourceLayer.name]!;
  // NCHW, flat: per frame `channels` runs of `pixels` values (1 for the classifier's pooled vector).
  const pixels = flat.length / (inputs.length * channels);
  return inputs.map((_, n) =>
    Array.from({ length: channels }, (_, c) => {
      const start = (n * channels + c) * pixels;
      return flat.slice(start, start + pixels).reduce((a, b) => a + b, 0) / pixels;
    }),
  );
}

describe('"Label next" embeddings', () => {
  it.each(MODELS)(
    "%s: the engine's embeddings equal the PyTorch twin's penultimate output, and k-center picks equal NumPy's",
    async (name, spec) => {
      const modelDir = path.join(root, name.replace(/\W+/g, '-'));
      await saveTestModel(modelDir, spec, 5);
      const frames = testFrames(FRAMES, SIDE, SIDE, 11);
      const reply = await engineHandlers.predict(
        predictRequestSchema.parse({ modelDir, frames, embeddings: true }),
        engineContext(),
      );
      const ours = reply.embeddings!;
      expect(ours).toHaveLength(FRAMES);
      const inputs = frames.map((f) => preprocessFrame(f, spec.preprocessing).input);
      const theirs = await twinEmbeddings(modelDir, inputs);
      let worst = 0;
      ours.forEach((row, n) => {
        expect(row.length).toBe(theirs[n]!.length);
        row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - theirs[n]![c]!))));
      });
      console.info(
        `[label next] ${name}: ${ours[0]!.length}-value embeddings, max |Loupe − PyTorch| ${worst.toExponential(2)}`,
      );
      expect(worst).toBeLessThan(REFERENCE_TOLERANCE);

      // The pool as "Label next" builds it: the most uncertain first (here: an arbitrary but fixed score).
      const scores = ours.map((row) => row.reduce((a, b) => a + b, 0));
      const pool = byScore(scores).slice(0, 4 * K);
      const reference = runReference<{ kCenter: number[]; kCenterNearest: (number | null)[] }>(
        'uncertainty_reference.py',
        { probabilities: [[0.5, 0.5]], points: theirs, k: K, pool, logits: [[0, 0]] },
      );
      const picks = kCenter(
        ours.map((row) => Array.from(row)),
        pool,
        K,
      );
      expect(picks.map((p) => p.index)).toEqual(reference.kCenter);
      expect(picks.map((p) => p.nearest)).toEqual(reference.kCenterNearest);
      // The embeddings tell images apart: the spread has something to spread over.
      expect(picks[1]!.distance!).toBeGreaterThan(0);
    },
    REFERENCE_TEST_TIMEOUT_MS,
  );
});
