/**
 * Guided backpropagation (Springenberg et al., 2015) and guided Grad-CAM (Selvaraju et al., 2017)
 * at input resolution. The model's graph is run layer by layer with each ReLU replaced by a guided
 * one (its gradient passes only where the input and the incoming gradient are both positive); the
 * model itself, and so training, is untouched.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError } from '../../contract/index';
import { normalise, type FeatureHeatmap, type ScoreOf } from './cam';
import { nodeOf } from './layer-split';

type Symbolic = tf.SymbolicTensor;

/** ReLU (or ReLU6 with `maxValue`) whose gradient is gated by a positive input and a positive gradient. */
function guidedRelu(maxValue: number | null): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    return {
      value: maxValue === null ? tf.relu(x) : tf.clipByValue(x, 0, maxValue),
      gradFunc: (dy: tf.Tensor, [input]: tf.Tensor[]) => {
        let open = tf.logicalAnd(input!.greater(0), dy.greater(0));
        if (maxValue !== null) open = tf.logicalAnd(open, input!.less(maxValue));
        return dy.mul(open.cast('float32'));
      },
    };
  }) as (x: tf.Tensor) => tf.Tensor;
}

/** A ReLU hidden in another layer's activation would not be guided: such a model is refused. */
function checkActivations(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    const activation = (layer.getConfig() as { activation?: string }).activation;
    if (activation !== undefined && activation !== 'linear')
      throw new LoupeError(
        'INVALID_REQUEST',
        `Guided backpropagation needs every ReLU as its own layer; ${layer.name} applies ${activation} inside. Use gradcam for this model.`,
      );
  }
}

/** The model's output for `input`, with guided ReLUs. */
function guidedForward(model: tf.LayersModel, input: tf.Tensor4D): tf.Tensor {
  const values = new Map<Symbolic, tf.Tensor>([[model.inputs[0]!, input]]);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = nodeOf(layer);
    const inputs = node.inputTensors.map((s) => values.get(s)!);
    let output: tf.Tensor;
    if (layer.getClassName() === 'ReLU') {
      const maxValue = (layer.getConfig() as { maxValue?: number | null }).maxValue ?? null;
      output = guidedRelu(maxValue)(inputs[0]!);
    } else {
      output = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor;
    }
    values.set(node.outputTensors[0]!, output);
  }
  return values.get(model.outputs[0]!)!;
}

/**
 * The guided gradient of the score with respect to the input, [H, W, C], and its per-pixel
 * magnitude (the largest |gradient| over the channels), which is what a one-channel heatmap shows.
 */
export function guidedGradient(model: tf.LayersModel, input: tf.Tensor4D, score: ScoreOf): tf.Tensor2D {
  checkActivations(model);
  return tf.tidy(() => {
    const gradient = tf.grad((x: tf.Tensor) => score(guidedForward(model, x as tf.Tensor4D)))(input);
    return gradient.squeeze([0]).abs().max(2) as tf.Tensor2D;
  });
}

/** Guided backpropagation alone, normalised, at the input's resolution. */
export async function guidedBackprop(
  model: tf.LayersModel,
  input: tf.Tensor4D,
  score: ScoreOf,
): Promise<FeatureHeatmap> {
  const magnitude = guidedGradient(model, input, score);
  const [rows, columns] = magnitude.shape;
  const values = normalise((await magnitude.data()) as Float32Array);
  magnitude.dispose();
  return { values, rows, columns };
}

/** Guided backpropagation times the Grad-CAM map upsampled bilinearly to the input, normalised. */
export async function guidedGradCam(
  model: tf.LayersModel,
  input: tf.Tensor4D,
  score: ScoreOf,
  gradCam: FeatureHeatmap,
): Promise<FeatureHeatmap> {
  const magnitude = guidedGradient(model, input, score);
  const [rows, columns] = magnitude.shape;
  const product = tf.tidy(() => {
    const cam = tf.tensor4d(gradCam.values, [1, gradCam.rows, gradCam.columns, 1]);
    // Half-pixel centres without corner alignment: the sampling of torch's bilinear interpolate.
    const upsampled = tf.image.resizeBilinear(cam, [rows, columns], false, true).reshape([rows, columns]);
    return magnitude.mul(upsampled);
  });
  magnitude.dispose();
  const values = normalise((await product.data()) as Float32Array);
  product.dispose();
  return { values, rows, columns };
}
