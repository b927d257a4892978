/**
 * What every builder shares: the named argument error, seeded initialisers and deterministic
 * layer names (checkpoints and fine-tuning find weights by name), and the backbone shape that
 * classification, segmentation, detection and Siamese heads attach to.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/index';
import { SeededRandom } from '../data/random';
import { batchNormalization } from './batch-norm';
import { reLU } from './batch-norm-relu';
import { conv2d } from './conv2d';

/** Bad builder arguments: says which argument and what it must be. */
export class ModelArgsError extends LoupeError {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
    this.name = 'ModelArgsError';
  }
}

/**
 * Batch-norm moving-average momentum: PyTorch's default (its momentum=0.1 is this 0.9). Keras's
 * 0.99 needs thousands of steps before the inference statistics settle — more than a small
 * medical dataset gives in a whole run.
 */
export const BATCH_NORM_MOMENTUM = 0.9;

/** Batch normalisation with the project's momentum. */
export function batchNorm(ctx: BuildContext, prefix = ''): tf.layers.Layer {
  return batchNormalization({ name: ctx.name(`${prefix}bn`), momentum: BATCH_NORM_MOMENTUM });
}

/** Layers whose name starts with this belong to a task head, not to the backbone. */
export const HEAD_PREFIX = 'head_';

/** One feature map of a backbone; `stride` is the input size divided by the map's size. */
export interface FeatureMap {
  tensor: tf.SymbolicTensor;
  stride: number;
  channels: number;
}

/** A feature extractor without a head: heads attach to `features` (finest first, deepest last). */
export interface Backbone {
  input: tf.SymbolicTensor;
  features: FeatureMap[];
}

/** Height, width, channels of the model input. */
export type InputShape = [number, number, number];

/**
 * Hands out seeded initialisers and unique, stable layer names, so that building the same
 * architecture with the same seed gives the same weights under the same names in any process.
 */
export class BuildContext {
  private readonly random: SeededRandom;
  private readonly counts = new Map<string, number>();

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  /** `conv` → `conv_1`, `conv_2`…; a head's names carry HEAD_PREFIX. */
  name(kind: string): string {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    return `${kind}_${n}`;
  }

  /** He (Kaiming) normal, fan-in: what torchvision uses for ReLU convolutions. */
  heNormal(): ReturnType<typeof tf.initializers.heNormal> {
    return tf.initializers.heNormal({ seed: this.random.nextUint32() });
  }

  /** Glorot uniform: Keras's default for dense layers. */
  glorotUniform(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.random.nextUint32() });
  }
}

export function checkInputShape(
  inputShape: readonly number[],
  builder: string,
  minSide: number,
  multipleOf = 1,
): InputShape {
  if (inputShape.length !== 3)
    throw new ModelArgsError(
      `${builder}: inputShape must be [height, width, channels], got [${inputShape.join(', ')}].`,
    );
  const [height, width, channels] = inputShape as InputShape;
  if (channels !== 1 && channels !== 3)
    throw new ModelArgsError(`${builder}: inputs have 1 or 3 channels, got ${channels}.`);
  for (const [side, value] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(value) || value < minSide)
      throw new ModelArgsError(`${builder}: input ${side} must be an integer of at least ${minSide}, got ${value}.`);
    if (value % multipleOf !== 0)
      throw new ModelArgsError(`${builder}: input ${side} must be a multiple of ${multipleOf}, got ${value}.`);
  }
  return [height, width, channels];
}

export function checkPositiveInt(value: number, what: string, builder: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new ModelArgsError(`${builder}: ${what} must be an integer from 1 to ${max}, got ${value}.`);
  return value;
}

export function checkClassCount(numClasses: number, builder: string): number {
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new ModelArgsError(`${builder}: numClasses must be an integer of at least 2, got ${numClasses}.`);
  return numClasses;
}

/** Convolution → optional batch norm → activation; the common unit of every builder here. */
export function convUnit(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  opts: {
    filters: number;
    kernelSize: number;
    strides?: number;
    batchNorm: boolean;
    activation: 'relu' | 'relu6' | 'linear';
    prefix?: string;
  },
): tf.SymbolicTensor {
  const prefix = opts.prefix ?? '';
  let y = conv2d({
    name: ctx.name(`${prefix}conv`),
    filters: opts.filters,
    kernelSize: opts.kernelSize,
    strides: opts.strides ?? 1,
    padding: 'same',
    useBias: !opts.batchNorm,
    kernelInitializer: ctx.heNormal(),
  }).apply(x) as tf.SymbolicTensor;
  if (opts.batchNorm) y = batchNorm(ctx, prefix).apply(y) as tf.SymbolicTensor;
  return activation(ctx, y, opts.activation, prefix);
}

export function activation(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  kind: 'relu' | 'relu6' | 'linear',
  prefix = '',
): tf.SymbolicTensor {
  if (kind === 'linear') return x;
  const layer =
    kind === 'relu6'
      ? reLU({ maxValue: 6, name: ctx.name(`${prefix}relu6`) })
      : reLU({ name: ctx.name(`${prefix}relu`) });
  return layer.apply(x) as tf.SymbolicTensor;
}

/** Global average pooling and a dense layer giving one logit per class. */
export function classificationHead(ctx: BuildContext, backbone: Backbone, numClasses: number): tf.LayersModel {
  const deepest = backbone.features.at(-1)!.tensor;
  const pooled = tf.layers
    .globalAveragePooling2d({ name: ctx.name(`${HEAD_PREFIX}pool`) })
    .apply(deepest) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ name: ctx.name(`${HEAD_PREFIX}logits`), units: numClasses, kernelInitializer: ctx.glorotUniform() })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: backbone.input, outputs: logits });
}

export function inputLayer(shape: InputShape): tf.SymbolicTensor {
  return tf.input({ shape, name: 'input' });
}
