/**
 * The two architectures the training benchmark measures, in tf.layers with Loupe's Conv2D layer
 * (as Loupe's model builders use it), and their PyTorch twins in bench/train_torch.py. They stay
 * here until the engine's model builders replace them.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../ml/models/conv2d';

/** CIFAR-style CNN: conv3×3-32, conv-32, maxpool, conv-64, conv-64, maxpool, dense 128, dense 10. */
export function referenceCnn(): tf.LayersModel {
  const conv = (filters: number) => conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' });
  return tf.sequential({
    layers: [
      conv2d({ inputShape: [32, 32, 3], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      conv(32),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(64),
      conv(64),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

export interface UNetArgs {
  /** Input side in pixels (square, one channel). Default 128. */
  size?: number;
  /** Number of 2× downsamplings. Default 3. */
  depth?: number;
  /** Filters of the first level, doubled at each level down. Default 16. */
  baseFilters?: number;
  /** Decoder upsampling: learned conv2dTranspose or nearest upSampling2d + conv. Default 'transpose'. */
  decoder?: 'transpose' | 'upsampling';
}

/** U-Net: two conv3×3+ReLU per level, maxpool down, conv-transpose up, skip concatenation, 1×1 sigmoid head. */
export function referenceUNet(args: UNetArgs = {}): tf.LayersModel {
  const { size = 128, depth = 3, baseFilters = 16, decoder = 'transpose' } = args;
  const input = tf.input({ shape: [size, size, 1] });
  const block = (x: tf.SymbolicTensor, filters: number) => {
    const a = conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    return conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(a) as tf.SymbolicTensor;
  };
  const skips: tf.SymbolicTensor[] = [];
  let x = input;
  for (let level = 0; level < depth; level++) {
    x = block(x, baseFilters * 2 ** level);
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = block(x, baseFilters * 2 ** depth);
  for (let level = depth - 1; level >= 0; level--) {
    const filters = baseFilters * 2 ** level;
    x =
      decoder === 'transpose'
        ? (tf.layers
            .conv2dTranspose({ filters, kernelSize: 2, strides: 2, padding: 'same' })
            .apply(x) as tf.SymbolicTensor)
        : (conv2d({ filters, kernelSize: 3, padding: 'same' }).apply(
            tf.layers.upSampling2d({ size: [2, 2] }).apply(x),
          ) as tf.SymbolicTensor);
    x = tf.layers.concatenate().apply([x, skips[level]!]) as tf.SymbolicTensor;
    x = block(x, filters);
  }
  const output = conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}
