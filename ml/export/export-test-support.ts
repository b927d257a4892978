/**
 * What the export tests share: a saved model folder of any architecture with random (but seeded,
 * non-trivial) weights and a valid card, and synthetic 16-bit frames. Used only by *.test.ts files.
 */
import * as tf from '@tensorflow/tfjs';
import {
  modelCardSchema,
  preprocessingSpecSchema,
  type DecodedFrame,
  type ModelCard,
  type ModelConfig,
  type PreprocessingSpec,
  type TaskKind,
} from '../../contract/index';
import { SeededRandom } from '../data/random';
import { saveModelFolder } from '../model-io/model-folder';
import { buildModel, type InputShape } from '../models/index';

export interface TestModelSpec {
  task: TaskKind;
  model: ModelConfig;
  classes: string[];
  preprocessing: PreprocessingSpec;
}

/** Moves batch-norm statistics and biases off their initial 0/1 so every converted op matters. */
function perturb(model: tf.LayersModel, seed: number): void {
  const random = new SeededRandom(seed);
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    const names = layer.weights.map((w) => w.originalName.split('/').at(-1)!);
    const next = weights.map((w, i) => {
      const values = Float32Array.from({ length: w.size }, () => random.next());
      switch (names[i]) {
        case 'moving_variance':
          return tf.tensor(
            values.map((v) => 0.5 + v),
            w.shape,
          );
        case 'moving_mean':
        case 'beta':
        case 'bias':
          return tf.tensor(
            values.map((v) => (v - 0.5) * 0.2),
            w.shape,
          );
        case 'gamma':
          return tf.tensor(
            values.map((v) => 0.75 + 0.5 * v),
            w.shape,
          );
        default:
          return w;
      }
    });
    layer.setWeights(next);
    // getWeights gives the variables' own tensors: only the new ones are ours to dispose.
    next.filter((t, i) => t !== weights[i]).forEach((t) => t.dispose());
  }
}

export async function saveTestModel(dir: string, spec: TestModelSpec, seed = 1): Promise<ModelCard> {
  const { rows, columns, channels } = spec.preprocessing;
  const inputShape: InputShape = [rows, columns, channels];
  const numClasses = spec.task === 'verification' ? 0 : spec.classes.length;
  const model = buildModel(spec.model, { task: spec.task, inputShape, numClasses, seed });
  perturb(model, seed);
  const card: ModelCard = modelCardSchema.parse({
    format: 'loupe-model',
    version: 1,
    task: spec.task,
    classes: spec.classes,
    model: spec.model,
    input: { rows, columns, channels },
    output: {
      activation: {
        classification: 'softmax',
        segmentation: spec.classes.length === 2 ? 'sigmoid' : 'softmax',
        detection: 'centernet',
        verification: 'l2-normalized',
      }[spec.task],
    },
    preprocessing: spec.preprocessing,
    metrics: null,
    dataset: { labelHash: 'test', datasetHash: 'test', counts: { train: 0, val: 0, test: 0 } },
    run: { runId: 'test-run', seed, bestEpoch: null, epochsTrained: 0 },
    versions: { loupeModelFormat: 1, tfjs: tf.version.tfjs, backend: tf.getBackend(), node: process.version },
    createdAt: new Date(0).toISOString(),
    ...(spec.task === 'detection' ? { detection: { scoreThreshold: 0.1 } } : {}),
  });
  await saveModelFolder(dir, model, card);
  model.dispose();
  return card;
}

/** 16-bit grey frames of a smooth pattern plus noise, some of another size than the input (resized). */
export function testFrames(count: number, rows: number, columns: number, seed = 7): DecodedFrame[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, (_, n) => {
    const r = n % 2 === 0 ? rows : rows + 8;
    const c = n % 2 === 0 ? columns : columns - 4;
    const data = new Uint16Array(r * c);
    const phase = random.next() * Math.PI;
    for (let y = 0; y < r; y++)
      for (let x = 0; x < c; x++)
        data[y * c + x] = Math.round(2000 + 1500 * Math.sin(x / 3 + phase) * Math.cos(y / 5) + 400 * random.next());
    return { data, rows: r, columns: c, samplesPerPixel: 1, rescaleSlope: 1, rescaleIntercept: -1024 };
  });
}

/** The preprocessing of the export tests' models: 32², a fixed intensity range unless `extra` says otherwise. */
export const exportTestSpec = (extra: object = {}) =>
  preprocessingSpecSchema.parse({
    rows: 32,
    columns: 32,
    intensity: { mode: 'range', min: -500, max: 3500 },
    ...extra,
  });

/** Every architecture Loupe trains, at a small input; defaults otherwise (ResNet-18 at 16 base filters: its 64 take minutes on the tfjs cpu backend). */
export const EXPORT_TEST_CASES: [string, TestModelSpec][] = [
  [
    'small CNN',
    {
      task: 'classification',
      model: { architecture: 'small-cnn' },
      classes: ['a', 'b', 'c'],
      preprocessing: exportTestSpec(),
    },
  ],
  [
    'ResNet-18',
    {
      task: 'classification',
      model: { architecture: 'resnet18', baseFilters: 16 },
      classes: ['ok', 'defect'],
      preprocessing: exportTestSpec({ intensity: { mode: 'window', window: { center: 1000, width: 2500 } } }),
    },
  ],
  [
    'MobileNetV2',
    {
      task: 'classification',
      model: { architecture: 'mobilenet-v2', widthMultiplier: 0.5 },
      classes: ['a', 'b', 'c'],
      preprocessing: exportTestSpec({
        channels: 3,
        normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      }),
    },
  ],
  [
    'U-Net (binary)',
    {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 3 },
      classes: ['background', 'lesion'],
      preprocessing: exportTestSpec({ intensity: { mode: 'per-image' } }),
    },
  ],
  [
    'U-Net (3 classes, padded)',
    {
      task: 'segmentation',
      model: { architecture: 'unet', depth: 2, baseFilters: 8 },
      classes: ['background', 'a', 'b'],
      preprocessing: exportTestSpec({ resize: 'pad' }),
    },
  ],
  [
    'CenterNet detector',
    {
      task: 'detection',
      model: {
        architecture: 'centernet',
        backbone: { architecture: 'small-cnn', filters: [8, 16, 32] },
        headChannels: 16,
        outputStride: 4,
      },
      classes: ['nut', 'bolt'],
      preprocessing: exportTestSpec(),
    },
  ],
  [
    'Siamese embedding',
    {
      task: 'verification',
      model: {
        architecture: 'siamese',
        backbone: { architecture: 'small-cnn', filters: [8, 16] },
        pooling: 'flatten',
        hiddenUnits: 32,
        embeddingDim: 16,
      },
      classes: [],
      preprocessing: exportTestSpec(),
    },
  ],
];
