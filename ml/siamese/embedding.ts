/**
 * The embedding side of a Siamese network: a head that turns any backbone's feature map into an
 * L2-normalised vector, so that one image's embedding can be compared with another's by cosine
 * similarity (= their dot product). "Shared backbone" means one embedding model applied to both
 * images of a pair: the weights are the same by construction, not by copying.
 */
import * as tf from '@tensorflow/tfjs';

/** Keeps division finite for an all-zero vector (tf.math.l2_normalize's epsilon). */
const L2_EPSILON = 1e-12;

/** Scales each vector along the last axis to unit length. Serialisable, so saved models load. */
export class L2Normalize extends tf.layers.Layer {
  static readonly className = 'LoupeL2Normalize';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), L2_EPSILON));
      return tf.div(x, norm);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(L2Normalize);

export type EmbeddingPooling = 'average' | 'max' | 'flatten';

export interface EmbeddingHeadArgs {
  /** Length of the embedding. Default 64. */
  embeddingDim?: number;
  /**
   * How the feature map becomes a vector: 'average' (global average pooling; any input size),
   * 'max', or 'flatten' (keeps where things are; fixed input size). Default 'average'.
   */
  pooling?: EmbeddingPooling;
  /** Units of a hidden ReLU layer before the embedding; 0 for none. Default 0. */
  hiddenUnits?: number;
  /** Layer-name prefix. Default 'embedding'. */
  name?: string;
  /** Seed for the initial weights (each layer gets seed + its index); unseeded when absent. */
  seed?: number;
}

export const EMBEDDING_HEAD_DEFAULTS = {
  embeddingDim: 64,
  pooling: 'average',
  hiddenUnits: 0,
  name: 'embedding',
} as const;

/** Builds the head on `features` ([batch, H, W, C] symbolic); returns [batch, embeddingDim], unit length. */
export function buildEmbeddingHead(features: tf.SymbolicTensor, args: EmbeddingHeadArgs = {}): tf.SymbolicTensor {
  const o = { ...EMBEDDING_HEAD_DEFAULTS, ...args };
  const init = (index: number) =>
    o.seed === undefined ? {} : { kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + index }) };
  if (!Number.isInteger(o.embeddingDim) || o.embeddingDim < 2)
    throw new RangeError(`An embedding needs at least 2 dimensions; got ${o.embeddingDim}.`);
  if (features.shape.length !== 4)
    throw new RangeError(
      `The embedding head needs a [batch, H, W, C] feature map; got shape [${features.shape.join(', ')}].`,
    );
  const pooled =
    o.pooling === 'average'
      ? tf.layers.globalAveragePooling2d({ name: `${o.name}_pool` }).apply(features)
      : o.pooling === 'max'
        ? tf.layers.globalMaxPooling2d({ name: `${o.name}_pool` }).apply(features)
        : tf.layers.flatten({ name: `${o.name}_flatten` }).apply(features);
  let x = pooled as tf.SymbolicTensor;
  if (o.hiddenUnits > 0)
    x = tf.layers
      .dense({ units: o.hiddenUnits, activation: 'relu', name: `${o.name}_hidden`, ...init(0) })
      .apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: o.embeddingDim, name: `${o.name}_dense`, ...init(1) }).apply(x) as tf.SymbolicTensor;
  return new L2Normalize({ name: `${o.name}_l2` }).apply(x) as tf.SymbolicTensor;
}

/**
 * A two-input model around one embedding model: [imageA, imageB] → cosine similarity [batch, 1].
 * Both inputs run through the SAME layers (shared weights); useful to export or to score pairs.
 */
export function buildPairScorer(embeddingModel: tf.LayersModel, name = 'pair'): tf.LayersModel {
  const shape = embeddingModel.inputs[0]!.shape.slice(1) as number[];
  const a = tf.input({ shape, name: `${name}_a` });
  const b = tf.input({ shape, name: `${name}_b` });
  const ea = embeddingModel.apply(a) as tf.SymbolicTensor;
  const eb = embeddingModel.apply(b) as tf.SymbolicTensor;
  const score = tf.layers
    .dot({ axes: -1, normalize: true, name: `${name}_cosine` })
    .apply([ea, eb]) as tf.SymbolicTensor;
  return tf.model({ inputs: [a, b], outputs: score, name });
}

/** Embeddings of a batch of images as plain arrays, one Float32Array per image. */
export async function embed(embeddingModel: tf.LayersModel, images: tf.Tensor): Promise<Float32Array[]> {
  const out = tf.tidy(() => embeddingModel.predict(images) as tf.Tensor2D);
  try {
    const data = await out.data();
    const [n, d] = out.shape;
    return Array.from({ length: n }, (_, i) => Float32Array.from(data.subarray(i * d, (i + 1) * d)));
  } finally {
    out.dispose();
  }
}
