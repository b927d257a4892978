/**
 * The prediction-time copy of a trained model: every batch normalisation that directly follows a
 * convolution is folded into that convolution's kernel and bias, and a ReLU right after it becomes
 * the convolution's own activation, which tfjs runs fused with the convolution. The same
 * function (within float rounding), fewer and cheaper kernels: this is what ONNX Runtime does to
 * an exported model at load, and why prediction in Loupe was a third of its speed without it.
 *
 * Used only to predict. Training, explanations (which name layers) and exports keep the model as
 * trained, so a layer a user chose stays where it was.
 */
import * as tf from '@tensorflow/tfjs';

/** Keras's serialised functional model, as `LayersModel.toJSON(null, false)` gives it. */
interface LayerEntry {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}
interface ModelTopology {
  class_name: string;
  config: { layers: LayerEntry[]; input_layers: unknown; output_layers: [string, number, number][] };
}

/** tfjs's BatchNormalization epsilon when a config leaves it out. */
const DEFAULT_EPSILON = 1e-3;
const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D']);

/** What one fold does: `conv` absorbs `batchNorm` (and `activation`, a ReLU layer, when there is one). */
interface Fold {
  conv: LayerEntry;
  batchNorm: LayerEntry;
  activation: LayerEntry | null;
  /** The fused activation's name in tfjs. */
  activationName: 'relu' | null;
}

/** Layers that consume each layer's output, with the model outputs counted as consumers too. */
function consumers(topology: ModelTopology): Map<string, number> {
  const count = new Map<string, number>();
  for (const layer of topology.config.layers)
    for (const node of layer.inbound_nodes) for (const [name] of node) count.set(name, (count.get(name) ?? 0) + 1);
  for (const [name] of topology.config.output_layers) count.set(name, (count.get(name) ?? 0) + 1);
  return count;
}

function singleInput(layer: LayerEntry): string | null {
  return layer.inbound_nodes.length === 1 && layer.inbound_nodes[0]!.length === 1
    ? layer.inbound_nodes[0]![0]![0]
    : null;
}

/**
 * A plain ReLU layer's fused name. ReLU6 stays a layer of its own: the oneDNN backend runs fused
 * convolutions with no activation or ReLU only, and a ReLU6-fused one would leave it for wasm.
 */
function reluKind(layer: LayerEntry): 'relu' | null {
  if (layer.class_name !== 'ReLU') return null;
  const max = layer.config.max_value as number | null | undefined;
  return max === null || max === undefined ? 'relu' : null;
}

/** Convolution → batch norm (→ ReLU) chains in which each link feeds only the next. */
function findFolds(topology: ModelTopology): Fold[] {
  const byName = new Map(topology.config.layers.map((l) => [l.name, l]));
  const uses = consumers(topology);
  const readers = new Map<string, LayerEntry[]>();
  for (const layer of topology.config.layers) {
    const input = singleInput(layer);
    if (input) readers.set(input, [...(readers.get(input) ?? []), layer]);
  }
  const folds: Fold[] = [];
  for (const bn of topology.config.layers) {
    if (bn.class_name !== 'BatchNormalization') continue;
    const axis = bn.config.axis as number | number[];
    if (axis !== -1 && axis !== 3 && !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3)))
      continue;
    const convName = singleInput(bn);
    const conv = convName ? byName.get(convName) : undefined;
    if (!conv || !CONVOLUTIONS.has(conv.class_name) || uses.get(conv.name) !== 1) continue;
    if (conv.config.activation !== 'linear' || conv.config.data_format !== 'channels_last') continue;
    const next = uses.get(bn.name) === 1 ? (readers.get(bn.name) ?? []) : [];
    const kind = next.length === 1 ? reluKind(next[0]!) : null;
    folds.push({ conv, batchNorm: bn, activation: kind ? next[0]! : null, activationName: kind });
  }
  return folds;
}

/** The folded topology: each fold's batch norm and ReLU removed, their readers reading the convolution. */
function foldedTopology(topology: ModelTopology, folds: readonly Fold[]): ModelTopology {
  const copy = structuredClone(topology);
  const replaced = new Map<string, string>();
  const removed = new Set<string>();
  for (const fold of folds) {
    const last = fold.activation ?? fold.batchNorm;
    replaced.set(last.name, fold.conv.name);
    removed.add(fold.batchNorm.name);
    if (fold.activation) removed.add(fold.activation.name);
  }
  const foldOf = new Map(folds.map((f) => [f.conv.name, f]));
  copy.config.layers = copy.config.layers.filter((l) => !removed.has(l.name));
  for (const layer of copy.config.layers) {
    // Every weight is set from the trained model right after the copy is built: drawing random
    // initial weights first took ResNet-18's copy about 0.6 s (its 11 M truncated normals).
    for (const key of Object.keys(layer.config))
      if (key.endsWith('_initializer') && layer.config[key]) layer.config[key] = { class_name: 'Zeros', config: {} };
    const fold = foldOf.get(layer.name);
    if (fold) {
      layer.config.use_bias = true;
      if (fold.activationName) layer.config.activation = fold.activationName;
    }
    for (const node of layer.inbound_nodes) for (const input of node) input[0] = replaced.get(input[0]) ?? input[0];
  }
  for (const output of copy.config.output_layers) output[0] = replaced.get(output[0]) ?? output[0];
  return copy;
}

/** The convolution's kernel and bias with the batch norm applied: per output channel, scale and shift. */
function foldedWeights(model: tf.LayersModel, fold: Fold): tf.Tensor[] {
  return tf.tidy(() => {
    const conv = model.getLayer(fold.conv.name);
    const bn = model.getLayer(fold.batchNorm.name);
    const [kernel, bias] = conv.getWeights();
    const config = fold.batchNorm.config;
    // getWeights order: gamma (if scale), beta (if center), moving mean, moving variance.
    const bnWeights = bn.getWeights();
    const gamma = config.scale === false ? null : bnWeights.shift()!;
    const beta = config.center === false ? null : bnWeights.shift()!;
    const [mean, variance] = bnWeights as [tf.Tensor, tf.Tensor];
    const epsilon = (config.epsilon as number | undefined) ?? DEFAULT_EPSILON;
    let scale = tf.rsqrt(tf.add(variance, epsilon));
    if (gamma) scale = tf.mul(scale, gamma);
    // Conv2D kernel [kh, kw, in, out]: scale the last axis. DepthwiseConv2D [kh, kw, in, multiplier]:
    // output channel c·multiplier + m belongs to input c, so scale reshaped to [in, multiplier].
    const scaledKernel =
      fold.conv.class_name === 'DepthwiseConv2D'
        ? tf.mul(kernel!, scale.reshape([kernel!.shape[2]!, kernel!.shape[3]!]))
        : tf.mul(kernel!, scale);
    const shifted = tf.mul(tf.sub(bias ?? tf.zerosLike(mean), mean), scale);
    return [scaledKernel, beta ? tf.add(shifted, beta) : shifted];
  });
}

/**
 * A new model computing what `model` computes, with its conv → batch norm (→ ReLU) chains folded.
 * Returns `model` itself when there is nothing to fold. The caller owns (and disposes) the copy.
 */
export async function inferenceModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topology = model.toJSON(null, false) as unknown as ModelTopology;
  if (topology.class_name !== 'Model' && topology.class_name !== 'Functional') return model;
  const folds = findFolds(topology);
  if (folds.length === 0) return model;
  const folded = await tf.models.modelFromJSON({ modelTopology: foldedTopology(topology, folds) as never });
  const foldOf = new Map(folds.map((f) => [f.conv.name, f]));
  for (const layer of folded.layers) {
    const fold = foldOf.get(layer.name);
    const weights = fold ? foldedWeights(model, fold) : model.getLayer(layer.name).getWeights();
    if (weights.length > 0) layer.setWeights(weights);
    if (fold) for (const w of weights) w.dispose();
  }
  return folded;
}

/**
 * `model`'s output(s) for one batch that the caller has already sized: the graph run once on
 * `x`. `LayersModel.predict` would cut `x` into batches of 32 (a copy of each) and join their
 * outputs again, which took a sixth of the small CNN's prediction time (6.1 → 5.1 ms for 32
 * images of 64², median of 9 interleaved rounds). The caller owns the result.
 */
export function outputOfBatch(model: tf.LayersModel, x: tf.Tensor): tf.Tensor | tf.Tensor[] {
  return tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[]);
}
