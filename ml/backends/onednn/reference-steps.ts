/**
 * One training step of each reference model (issue 14: small CNN, ResNet-18, MobileNetV2, U-Net,
 * the CenterNet detector, the Siamese net) as the engine takes it — its model builders, losses,
 * Adam and train step — on small inputs, for the fallback count (coverage.ts) and its test.
 */
import * as tf from '@tensorflow/tfjs';
import { applyForTraining } from '../../models/batch-norm-relu';
import { buildModel } from '../../models/index';
import { createLoss, type LossFunction } from '../../losses/index';
import { createOptimizer, type Optimizer, type Parameter } from '../../optim/optimizers';
import { trainStep } from '../../train/train-step';
import { lossConfigSchema, modelConfigSchema, optimizerConfigSchema, type TaskKind } from '../../../contract/index';

export const REFERENCE_MODELS = ['small CNN', 'ResNet-18', 'MobileNetV2', 'U-Net', 'detector', 'Siamese'] as const;
export type ReferenceModel = (typeof REFERENCE_MODELS)[number];

interface Reference {
  task: TaskKind;
  model: object;
  loss: object;
  inputShape: [number, number, number];
  numClasses: number;
  outputChannels: number;
  batch: number;
  /** The batch's target, as the task's batches carry it. */
  target(batch: number): tf.Tensor;
}

const CLASSES = 3;
const DETECTION_STRIDE = 4;

function classTarget(batch: number): tf.Tensor {
  return tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % CLASSES),
    'int32',
  );
}

/** CenterNet maps [B, H/4, W/4, classes + 5]: heatmap with one peak of 1 per image, sizes, offsets, mask. */
function detectionTarget(batch: number, side: number): tf.Tensor {
  const cells = side / DETECTION_STRIDE;
  const channels = CLASSES + 5;
  const values = new Float32Array(batch * cells * cells * channels);
  for (let b = 0; b < batch; b++) {
    for (let cell = 0; cell < cells * cells; cell++) {
      const at = (b * cells * cells + cell) * channels;
      values[at + (b % CLASSES)] = ((cell * 7) % 10) / 20;
    }
    const peak = (b * cells * cells + (b % (cells * cells))) * channels;
    values.set([1, 3 + b, 2 + b, 0.25, 0.5, 1], peak + (b % CLASSES));
    values[peak + (b % CLASSES)] = 1;
    values.set([3 + b, 2 + b, 0.25, 0.5, 1], peak + CLASSES);
  }
  return tf.tensor4d(values, [batch, cells, cells, channels]);
}

/** Relation matrix: 1 same identity (pairs 0–1, 2–3, …), −1 different, 0 on the diagonal. */
function relationTarget(batch: number): tf.Tensor {
  const values = new Float32Array(batch * batch);
  for (let i = 0; i < batch; i++)
    for (let j = 0; j < batch; j++) values[i * batch + j] = i === j ? 0 : i >> 1 === j >> 1 ? 1 : -1;
  return tf.tensor2d(values, [batch, batch]);
}

const REFERENCES: Record<ReferenceModel, Reference> = {
  'small CNN': {
    task: 'classification',
    model: { architecture: 'small-cnn' },
    loss: { name: 'cross-entropy' },
    inputShape: [32, 32, 3],
    numClasses: CLASSES,
    outputChannels: CLASSES,
    batch: 4,
    target: classTarget,
  },
  'ResNet-18': {
    task: 'classification',
    model: { architecture: 'resnet18', baseFilters: 8, stem: 'imagenet' },
    loss: { name: 'cross-entropy', labelSmoothing: 0.1 },
    inputShape: [64, 64, 3],
    numClasses: CLASSES,
    outputChannels: CLASSES,
    batch: 2,
    target: classTarget,
  },
  MobileNetV2: {
    task: 'classification',
    model: { architecture: 'mobilenet-v2', widthMultiplier: 0.35 },
    loss: { name: 'focal' },
    inputShape: [64, 64, 3],
    numClasses: CLASSES,
    outputChannels: CLASSES,
    batch: 2,
    target: classTarget,
  },
  'U-Net': {
    task: 'segmentation',
    model: { architecture: 'unet', depth: 2, baseFilters: 4 },
    loss: { name: 'bce-dice' },
    inputShape: [32, 32, 1],
    numClasses: 2,
    outputChannels: 1,
    batch: 2,
    // int32 class indices [B, H, W], as ml/data/batches.ts makes a segmentation batch's masks.
    target: (batch) => tf.tidy(() => tf.randomUniform([batch, 32, 32], 0, 2, 'float32', 5).floor().toInt()),
  },
  detector: {
    task: 'detection',
    model: {
      architecture: 'centernet',
      backbone: { architecture: 'resnet18', baseFilters: 4, stem: 'small' },
      outputStride: DETECTION_STRIDE,
    },
    loss: { name: 'centernet', sizeLoss: 'giou' },
    inputShape: [32, 32, 3],
    numClasses: CLASSES,
    outputChannels: CLASSES + 4,
    batch: 2,
    target: (batch) => detectionTarget(batch, 32),
  },
  Siamese: {
    task: 'verification',
    model: { architecture: 'siamese', backbone: { architecture: 'small-cnn' } },
    loss: { name: 'contrastive' },
    inputShape: [32, 32, 1],
    numClasses: 0,
    outputChannels: 64,
    batch: 4,
    target: relationTarget,
  },
};

export interface ReferenceStep {
  /** Takes one training step; resolves to the loss before the update. */
  step(): Promise<number>;
  /**
   * The loss and its gradients with respect to every trainable parameter, in training mode, without
   * an update. `beforeBackward` runs at the end of the forward pass, while the tape still records.
   */
  gradients(beforeBackward?: () => void): tf.Tensor[];
  parameters: readonly Parameter[];
  model: tf.LayersModel;
  loss: LossFunction;
  /** The batch every step takes. */
  batch: { x: tf.Tensor4D; y: tf.Tensor; size: number };
  dispose(): void;
}

/** A reference model with its batch, loss and optimiser, ready to step. */
export function referenceStep(name: ReferenceModel): ReferenceStep {
  const r = REFERENCES[name];
  const model = buildModel(modelConfigSchema.parse(r.model), {
    task: r.task,
    inputShape: r.inputShape,
    numClasses: r.numClasses,
    seed: 1,
  });
  const loss: LossFunction = createLoss(lossConfigSchema.parse(r.loss), {
    task: r.task,
    numClasses: r.numClasses,
    outputChannels: r.outputChannels,
  });
  const optimizer: Optimizer = createOptimizer(optimizerConfigSchema.parse({ name: 'adam' }));
  const parameters: Parameter[] = model.trainableWeights.map((w) => ({
    name: w.name,
    variable: w.read() as tf.Variable,
    learningRateFactor: 1,
  }));
  const x = tf.randomNormal([r.batch, ...r.inputShape], 0, 1, 'float32', 7) as tf.Tensor4D;
  const y = r.target(r.batch);
  const batch = { x, y, size: r.batch };
  return {
    parameters,
    model,
    loss,
    batch,
    gradients: (beforeBackward) => {
      const { value, grads } = tf.variableGrads(
        () => {
          const value = loss(y, applyForTraining(model, x) as tf.Tensor);
          beforeBackward?.();
          return value;
        },
        parameters.map((p) => p.variable),
      );
      return [value, ...parameters.map((p) => grads[p.variable.name]!)];
    },
    step: async () => (await trainStep({ model, loss, parameters, optimizer, learningRate: 1e-3 }, batch)).loss,
    dispose: () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}
