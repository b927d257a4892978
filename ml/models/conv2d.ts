/**
 * Loupe's 2-D convolution layer: tfjs-layers' Conv2D, except in training:
 *
 * - a convolution with no bias and no activation (each one before a batch norm, which is every
 *   convolution of Loupe's backbones) runs as tf.conv2d instead of tf.fused.conv2d;
 * - one with a bias and/or a ReLU runs as one fused kernel forward (fused-conv-training.ts), where
 *   tfjs runs three (convolution, bias, ReLU) and keeps two more activations for the backward pass.
 *
 * Why: tfjs differentiates a fused convolution through tf.customGrad, whose gradient function
 * computes the input's gradient and the filter's together, needed or not. The first convolution's
 * input is the image, which needs none: every training step computed a gradient of the images and
 * threw it away (2.7 of about 30 ms a step for the small CNN, 64² grey, batch 32, on oneDNN).
 * tf.conv2d's gradient computes each input's only when the backward pass asks for it, with the
 * same kernels, and keeps x and the filter for it where the fused one also kept y.
 *
 * Everything else is tfjs's class, under the same class name: weights, config, serialisation,
 * inference, and training with another activation, dilation or NCHW data. Importing this module puts it in tfjs's
 * class map, so models read from disk get it too (ml/model-io imports it).
 */
import * as tf from '@tensorflow/tfjs';
import { fusedConvForTraining } from './fused-conv-training';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];
type Kwargs = Record<string, unknown>;

/** What the training pass reads of tfjs's layer (its fields, not in its typings). */
interface Conv2DFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string };
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
}

/** tfjs-layers' class, which @tensorflow/tfjs does not export by name. */
const StockConv2D = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })).constructor as (new (
  args: Conv2DArgs,
) => tf.layers.Layer) &
  Pick<tf.serialization.SerializableConstructor<tf.layers.Layer>, 'fromConfig'>;

export class Conv2D extends StockConv2D {
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const fields = this as unknown as Conv2DFields;
    const activation = fields.activation.getClassName();
    const own =
      kwargs['training'] === true &&
      (activation === 'linear' || activation === 'relu') &&
      fields.dataFormat === 'channelsLast' &&
      (fields.padding === 'same' || fields.padding === 'valid') &&
      fields.dilationRate.every((d) => d === 1);
    if (!own) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      const strides = fields.strides as [number, number];
      const padding = fields.padding as 'same' | 'valid';
      const filter = fields.kernel.read() as tf.Tensor4D;
      if (fields.bias === null && activation === 'linear') return tf.conv2d(x, filter, strides, padding);
      const bias = fields.bias ? (fields.bias.read() as tf.Tensor1D) : null;
      return fusedConvForTraining(x, filter, bias, strides, padding, activation);
    });
  }
}

// In place of tfjs's class (not registerClass, which would save models under `Custom>Conv2D`).
tf.serialization.SerializationMap.register(Conv2D);

/** A 2-D convolution layer (tfjs's arguments). */
export function conv2d(args: Conv2DArgs): tf.layers.Layer {
  return new Conv2D(args);
}
