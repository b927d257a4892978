/**
 * What a test needs to compare one training step on two backends and expect the same gradients.
 *
 * A training step's forward pass takes branches: a ReLU passes or stops the gradient by the sign of
 * its input, a max pool sends it to the largest value of each window. Two backends sum in different
 * orders, so a pre-activation of 8e-10 on cpu can be −2.6e-8 on WebGPU (seen on Mesa, with the rest of
 * the layer within 5e-7 of its largest value). The backends then differentiate different functions:
 * the gradient of one output channel differs, and every layer before it. Weights drawn afresh for
 * each run put a branch that close about once in fifty steps of the reference CNN, a test failure no
 * kernel caused. So the weights are seeded, and the test first checks that every branch they take is
 * clear of rounding (branchMargins), which makes a failure a kernel's.
 */
import * as tf from '@tensorflow/tfjs';

/** Sets every kernel of `model` from Glorot-uniform draws (tfjs's default) seeded from `seed`; biases stay 0. */
export function seedWeights(model: tf.LayersModel, seed: number): void {
  const seeded = model
    .getWeights()
    .map((w, i) => (w.rank >= 2 ? tf.initializers.glorotUniform({ seed: seed + i }).apply(w.shape) : tf.zerosLike(w)));
  model.setWeights(seeded);
  tf.dispose(seeded);
}

export interface BranchMargin {
  layer: string;
  /** The smallest distance of a branch from flipping, relative to the layer's largest value. */
  margin: number;
  /** Where that is: a ReLU's pre-activation (its channel) or a max-pool window (its channel). */
  channel: number;
}

interface LayerFields {
  activation?: { getClassName(): string };
}

/**
 * For each ReLU layer (a convolution or dense layer whose activation is a ReLU; a ReLU layer of its
 * own is not seen) and max-pool layer of `model`, the smallest margin of the branches its training
 * forward pass on `x` takes, computed on the active backend: |pre-activation| for a ReLU, and the
 * largest value of a window less the next for a max pool (only windows whose largest value is
 * positive: the others sit on a stopped ReLU and pass nothing back).
 */
export async function branchMargins(model: tf.LayersModel, x: tf.Tensor): Promise<BranchMargin[]> {
  const relu = (layer: tf.layers.Layer) =>
    (layer as unknown as LayerFields).activation?.getClassName() === 'relu' && layer.getWeights().length > 0;
  const pool = (layer: tf.layers.Layer) => layer.getClassName() === 'MaxPooling2D';
  const layers = model.layers.filter((layer) => relu(layer) || pool(layer));
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((layer) => layer.input as tf.SymbolicTensor) });
  const inputs = [probe.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]].flat();
  const margins: BranchMargin[] = [];
  for (const [i, layer] of layers.entries()) {
    const input = inputs[i]!;
    const isRelu = relu(layer);
    const values = isRelu ? await preActivation(layer, input) : ((await input.data()) as Float32Array);
    const { margin, at } = isRelu ? reluMargin(values) : poolMargin(values, input.shape, layer.getConfig());
    const channels = isRelu ? layer.getWeights()[0]!.shape.at(-1)! : input.shape.at(-1)!;
    margins.push({ layer: layer.name, margin, channel: at % channels });
  }
  // The probe shares the model's layers and weights: it is dropped, not disposed.
  tf.dispose(inputs);
  return margins;
}

async function preActivation(layer: tf.layers.Layer, input: tf.Tensor): Promise<Float32Array> {
  const [kernel, bias] = layer.getWeights();
  const config = layer.getConfig() as { strides?: number[]; padding?: 'same' | 'valid'; dilationRate?: number[] };
  const pre = tf.tidy(() => {
    const product =
      kernel!.rank === 4
        ? tf.conv2d(
            input as tf.Tensor4D,
            kernel as tf.Tensor4D,
            config.strides as [number, number],
            config.padding!,
            'NHWC',
            config.dilationRate as [number, number],
          )
        : tf.matMul(input as tf.Tensor2D, kernel as tf.Tensor2D);
    return bias ? product.add(bias) : product;
  });
  const values = (await pre.data()) as Float32Array;
  pre.dispose();
  return values;
}

function largest(values: Float32Array): number {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  return max || 1;
}

function reluMargin(pre: Float32Array): { margin: number; at: number } {
  const scale = largest(pre);
  let margin = Infinity;
  let at = 0;
  pre.forEach((v, i) => {
    if (Math.abs(v) / scale < margin) [margin, at] = [Math.abs(v) / scale, i];
  });
  return { margin, at };
}

function poolMargin(
  values: Float32Array,
  shape: number[],
  config: tf.serialization.ConfigDict,
): { margin: number; at: number } {
  const [batch, height, width, channels] = shape as [number, number, number, number];
  const [ph, pw] = config['poolSize'] as [number, number];
  const [sh, sw] = config['strides'] as [number, number];
  const scale = largest(values);
  let margin = Infinity;
  let at = 0;
  for (let b = 0; b < batch; b++)
    for (let y = 0; y + ph <= height; y += sh)
      for (let x = 0; x + pw <= width; x += sw)
        for (let c = 0; c < channels; c++) {
          let [first, second] = [-Infinity, -Infinity];
          for (let dy = 0; dy < ph; dy++)
            for (let dx = 0; dx < pw; dx++) {
              const v = values[((b * height + y + dy) * width + x + dx) * channels + c]!;
              if (v > first) [first, second] = [v, first];
              else if (v > second) second = v;
            }
          if (first > 0 && (first - second) / scale < margin) [margin, at] = [(first - second) / scale, c];
        }
  return { margin, at };
}
