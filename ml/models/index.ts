/**
 * Builds the model a training config names. Classification architectures end in a logits head;
 * the U-Net gives per-pixel logits; `centernet` gives per-cell heatmaps, sizes and offsets;
 * `siamese` gives a unit-length embedding.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Architecture, ModelConfig, TaskKind } from '../../contract/index';
import { ModelArgsError, type InputShape } from './common';
import { buildCenterNetDetector } from './detector';
import { buildMobileNetV2 } from './mobilenet-v2';
import { buildResNet } from './resnet';
import { buildSiameseEmbedding } from './siamese';
import { buildSmallCnn } from './small-cnn';
import { buildUNet } from './unet';

export interface ModelTarget {
  task: TaskKind;
  inputShape: InputShape;
  /** Classes of the task (segmentation: including background; detection: object classes; verification: 0). */
  numClasses: number;
  seed: number;
}

type Builder<A extends Architecture> = (
  config: Extract<ModelConfig, { architecture: A }>,
  target: ModelTarget,
) => tf.LayersModel;

interface ArchitectureEntry<A extends Architecture> {
  tasks: readonly TaskKind[];
  build: Builder<A>;
}

/** Undefined fields are left out so each builder's documented defaults apply. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

const ARCHITECTURES: { [A in Architecture]: ArchitectureEntry<A> } = {
  'small-cnn': {
    tasks: ['classification'],
    build: ({ architecture: _, ...args }, t) =>
      buildSmallCnn({ ...defined(args), inputShape: t.inputShape, numClasses: t.numClasses, seed: t.seed }),
  },
  resnet18: {
    tasks: ['classification'],
    build: ({ architecture: _, ...args }, t) =>
      buildResNet({ ...defined(args), inputShape: t.inputShape, numClasses: t.numClasses, seed: t.seed }),
  },
  'mobilenet-v2': {
    tasks: ['classification'],
    build: ({ architecture: _, ...args }, t) =>
      buildMobileNetV2({ ...defined(args), inputShape: t.inputShape, numClasses: t.numClasses, seed: t.seed }),
  },
  unet: {
    tasks: ['segmentation'],
    build: ({ architecture: _, ...args }, t) =>
      buildUNet({ ...defined(args), inputShape: t.inputShape, numClasses: t.numClasses, seed: t.seed }),
  },
  centernet: {
    tasks: ['detection'],
    build: ({ architecture: _, ...args }, t) =>
      buildCenterNetDetector({ ...defined(args), inputShape: t.inputShape, numClasses: t.numClasses, seed: t.seed }),
  },
  siamese: {
    tasks: ['verification'],
    build: ({ architecture: _, ...args }, t) =>
      buildSiameseEmbedding({ ...defined(args), inputShape: t.inputShape, seed: t.seed }),
  },
  imported: {
    tasks: ['classification', 'segmentation'],
    build: (config) => {
      throw new ModelArgsError(
        `An imported model (${config.modelJson}) is not built from a config: start from it with fineTune.from.`,
      );
    },
  },
};

export function buildModel(config: ModelConfig, target: ModelTarget): tf.LayersModel {
  const entry = ARCHITECTURES[config.architecture] as ArchitectureEntry<Architecture>;
  if (!entry.tasks.includes(target.task)) {
    throw new ModelArgsError(
      `A ${config.architecture} model cannot do ${target.task}; use one of: ${architecturesFor(target.task).join(', ')}.`,
    );
  }
  return (entry.build as Builder<Architecture>)(config, target);
}

export function architecturesFor(task: TaskKind): Architecture[] {
  return (Object.keys(ARCHITECTURES) as Architecture[]).filter((a) => ARCHITECTURES[a].tasks.includes(task));
}

export { HEAD_PREFIX, ModelArgsError, type Backbone, type FeatureMap, type InputShape } from './common';
export { smallCnnBackbone, buildSmallCnn, type SmallCnnArgs, type SmallCnnClassifierArgs } from './small-cnn';
export { resnetBackbone, buildResNet, type ResNetArgs, type ResNetClassifierArgs } from './resnet';
export {
  mobileNetV2Backbone,
  buildMobileNetV2,
  type MobileNetV2Args,
  type MobileNetV2ClassifierArgs,
} from './mobilenet-v2';
export { unetEncoder, buildUNet, segmentationOutputChannels, type UNetArgs } from './unet';
export { buildCenterNetDetector, CENTERNET_DETECTOR_DEFAULTS, type CenterNetDetectorArgs } from './detector';
export { buildSiameseEmbedding, SIAMESE_DEFAULTS, type SiameseEmbeddingArgs } from './siamese';
