/**
 * ResNet-18-style network (He et al. 2016, "basic" blocks): a stem, four stages of two residual
 * blocks each, stride 2 and a 1×1 projection at the start of stages 2–4. `small` stem (one 3×3
 * convolution, no pooling) keeps resolution for small medical crops; `imagenet` is the original.
 */
import * as tf from '@tensorflow/tfjs';
import {
  activation,
  BuildContext,
  checkClassCount,
  checkInputShape,
  checkPositiveInt,
  classificationHead,
  convUnit,
  inputLayer,
  ModelArgsError,
  type Backbone,
  type InputShape,
} from './common';

export interface ResNetArgs {
  /** [height, width, channels]; channels 1 or 3. Required. */
  inputShape: InputShape;
  /** Filters of the first stage; each later stage doubles them. Default 64 (ResNet-18). */
  baseFilters?: number;
  /** Residual blocks per stage. Default [2, 2, 2, 2] (ResNet-18). */
  blocksPerStage?: number[];
  /** `imagenet`: 7×7/2 convolution and 3×3/2 max pooling; `small`: one 3×3 convolution.
   * Default `imagenet` for inputs of IMAGENET_STEM_MIN_SIDE px and more, else `small`. */
  stem?: 'imagenet' | 'small';
  /** Seed of the weight initialisers. Default 0. */
  seed?: number;
}

export interface ResNetClassifierArgs extends ResNetArgs {
  /** Classes of the logits head (≥ 2). Required. */
  numClasses: number;
}

/** Below this input side the ImageNet stem's 4× reduction leaves too little for four stages. */
export const IMAGENET_STEM_MIN_SIDE = 128;
export const RESNET_DEFAULTS = { baseFilters: 64, blocksPerStage: [2, 2, 2, 2], seed: 0 } as const;
const NAME = 'resnet18';

function basicBlock(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  filters: number,
  strides: number,
  inChannels: number,
): tf.SymbolicTensor {
  let y = convUnit(ctx, x, { filters, kernelSize: 3, strides, batchNorm: true, activation: 'relu' });
  y = convUnit(ctx, y, { filters, kernelSize: 3, batchNorm: true, activation: 'linear' });
  const shortcut =
    strides !== 1 || inChannels !== filters
      ? convUnit(ctx, x, { filters, kernelSize: 1, strides, batchNorm: true, activation: 'linear' })
      : x;
  const sum = tf.layers.add({ name: ctx.name('add') }).apply([y, shortcut]) as tf.SymbolicTensor;
  return activation(ctx, sum, 'relu');
}

export function resnetBackbone(args: ResNetArgs, ctx = new BuildContext(args.seed ?? RESNET_DEFAULTS.seed)): Backbone {
  const base = checkPositiveInt(args.baseFilters ?? RESNET_DEFAULTS.baseFilters, 'baseFilters', NAME, 1024);
  const blocks = args.blocksPerStage ?? [...RESNET_DEFAULTS.blocksPerStage];
  if (blocks.length === 0) throw new ModelArgsError(`${NAME}: blocksPerStage needs at least one stage.`);
  blocks.forEach((n, i) => checkPositiveInt(n, `blocksPerStage[${i}]`, NAME, 64));
  const minSide = Math.min(args.inputShape[0] ?? 0, args.inputShape[1] ?? 0);
  const stem = args.stem ?? (minSide >= IMAGENET_STEM_MIN_SIDE ? 'imagenet' : 'small');
  const stemStride = stem === 'imagenet' ? 4 : 1;
  const shape = checkInputShape(args.inputShape, NAME, stemStride * 2 ** (blocks.length - 1));
  const input = inputLayer(shape);
  let x: tf.SymbolicTensor;
  if (stem === 'imagenet') {
    x = convUnit(ctx, input, { filters: base, kernelSize: 7, strides: 2, batchNorm: true, activation: 'relu' });
    x = tf.layers
      .maxPooling2d({ name: ctx.name('pool'), poolSize: 3, strides: 2, padding: 'same' })
      .apply(x) as tf.SymbolicTensor;
  } else {
    x = convUnit(ctx, input, { filters: base, kernelSize: 3, batchNorm: true, activation: 'relu' });
  }
  const features: Backbone['features'] = [];
  let channels = base;
  let stride = stemStride;
  blocks.forEach((count, stage) => {
    const filters = base * 2 ** stage;
    for (let block = 0; block < count; block++) {
      const strides = stage > 0 && block === 0 ? 2 : 1;
      x = basicBlock(ctx, x, filters, strides, channels);
      channels = filters;
      stride *= strides;
    }
    features.push({ tensor: x, stride, channels });
  });
  return { input, features };
}

export function buildResNet(args: ResNetClassifierArgs): tf.LayersModel {
  const ctx = new BuildContext(args.seed ?? RESNET_DEFAULTS.seed);
  const numClasses = checkClassCount(args.numClasses, NAME);
  return classificationHead(ctx, resnetBackbone(args, ctx), numClasses);
}
