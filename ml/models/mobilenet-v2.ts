/**
 * MobileNetV2 (Sandler et al. 2018): inverted residual blocks with linear bottlenecks and ReLU6,
 * scaled by a width multiplier. Channel counts follow the reference's `_make_divisible` (multiples
 * of 8), as torchvision and Keras do, so widths match published checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import {
  activation,
  batchNorm,
  BuildContext,
  checkClassCount,
  checkInputShape,
  classificationHead,
  convUnit,
  inputLayer,
  ModelArgsError,
  type Backbone,
  type InputShape,
} from './common';

export interface MobileNetV2Args {
  /** [height, width, channels]; channels 1 or 3; each side at least 32 (the network's stride). Required. */
  inputShape: InputShape;
  /** Width multiplier α scaling every layer's channels. Default 1 (0.35, 0.5, 0.75, 1, 1.3, 1.4 are the published ones). */
  widthMultiplier?: number;
  /** Seed of the weight initialisers. Default 0. */
  seed?: number;
}

export interface MobileNetV2ClassifierArgs extends MobileNetV2Args {
  /** Classes of the logits head (≥ 2). Required. */
  numClasses: number;
}

export const MOBILENET_V2_DEFAULTS = { widthMultiplier: 1, seed: 0 } as const;
/** Total stride of the network: 2^5. */
const OUTPUT_STRIDE = 32;
/** (expansion t, channels c, repeats n, first stride s) per stage, Table 2 of the paper. */
const STAGES: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];
const NAME = 'mobilenetV2';

/** The reference implementation's rounding: nearest multiple of 8, never below 90 % of the value. */
export function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor(value + divisor / 2) - (Math.floor(value + divisor / 2) % divisor));
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

function invertedResidual(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  inChannels: number,
  outChannels: number,
  stride: number,
  expansion: number,
): tf.SymbolicTensor {
  let y = x;
  if (expansion !== 1)
    y = convUnit(ctx, y, { filters: inChannels * expansion, kernelSize: 1, batchNorm: true, activation: 'relu6' });
  y = tf.layers
    .depthwiseConv2d({
      name: ctx.name('dwconv'),
      kernelSize: 3,
      strides: stride,
      padding: 'same',
      useBias: false,
      depthwiseInitializer: ctx.heNormal(),
    })
    .apply(y) as tf.SymbolicTensor;
  y = batchNorm(ctx).apply(y) as tf.SymbolicTensor;
  y = activation(ctx, y, 'relu6');
  y = convUnit(ctx, y, { filters: outChannels, kernelSize: 1, batchNorm: true, activation: 'linear' });
  if (stride === 1 && inChannels === outChannels)
    y = tf.layers.add({ name: ctx.name('add') }).apply([x, y]) as tf.SymbolicTensor;
  return y;
}

export function mobileNetV2Backbone(
  args: MobileNetV2Args,
  ctx = new BuildContext(args.seed ?? MOBILENET_V2_DEFAULTS.seed),
): Backbone {
  const alpha = args.widthMultiplier ?? MOBILENET_V2_DEFAULTS.widthMultiplier;
  if (!(alpha > 0 && alpha <= 4)) throw new ModelArgsError(`${NAME}: widthMultiplier must be in (0, 4], got ${alpha}.`);
  const shape = checkInputShape(args.inputShape, NAME, OUTPUT_STRIDE);
  const input = inputLayer(shape);
  let channels = makeDivisible(32 * alpha);
  let x = convUnit(ctx, input, { filters: channels, kernelSize: 3, strides: 2, batchNorm: true, activation: 'relu6' });
  let stride = 2;
  const features: Backbone['features'] = [];
  for (const [t, c, n, s] of STAGES) {
    const out = makeDivisible(c * alpha);
    for (let i = 0; i < n; i++) {
      const blockStride = i === 0 ? s : 1;
      // A feature map is complete just before the network halves its resolution again.
      if (blockStride === 2) features.push({ tensor: x, stride, channels });
      x = invertedResidual(ctx, x, channels, out, blockStride, t);
      channels = out;
      stride *= blockStride;
    }
  }
  // The last 1×1 convolution is not thinned below 1280 channels for α < 1 (as in the paper).
  const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  x = convUnit(ctx, x, { filters: last, kernelSize: 1, batchNorm: true, activation: 'relu6' });
  features.push({ tensor: x, stride, channels: last });
  return { input, features };
}

export function buildMobileNetV2(args: MobileNetV2ClassifierArgs): tf.LayersModel {
  const ctx = new BuildContext(args.seed ?? MOBILENET_V2_DEFAULTS.seed);
  const numClasses = checkClassCount(args.numClasses, NAME);
  return classificationHead(ctx, mobileNetV2Backbone(args, ctx), numClasses);
}
