/**
 * What a PyTorch twin (tests/reference/torch_gradcam.py) needs to rebuild a Loupe model: its
 * layers in graph order with their configs, inbound layers and weights, and random weights that
 * make no layer an identity.
 */
import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../ml/data/random';

/** Random weights everywhere, batch-norm statistics included, so no layer is an identity. */
export function randomiseWeights(model: tf.LayersModel, random: SeededRandom): void {
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const isBatchNorm = layer.getClassName() === 'BatchNormalization';
    layer.setWeights(
      weights.map((w, i) => {
        const values = Float32Array.from({ length: w.size }, () => random.next() * 2 - 1);
        const scale = isBatchNorm ? 0.5 : 1 / Math.sqrt(w.shape.slice(0, -1).reduce((a, b) => a * b, 1));
        // Variance (the 4th batch-norm weight) must be positive.
        const shaped = values.map((v) =>
          isBatchNorm && i === 3 ? 0.5 + Math.abs(v) : isBatchNorm && i === 0 ? 1 + v * scale : v * scale,
        );
        return tf.tensor(shaped, w.shape);
      }),
    );
  }
}

export function describeLayers(model: tf.LayersModel): unknown[] {
  return model.layers.map((layer) => {
    const node = (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[] }[] }).inboundNodes[0]!;
    return {
      name: layer.name,
      className: layer.getClassName(),
      config: layer.getConfig(),
      inbound: layer.getClassName() === 'InputLayer' ? [] : node.inputTensors.map((t) => t.sourceLayer.name),
      weights: layer.getWeights().map((w) => ({ shape: w.shape, data: Array.from(w.dataSync()) })),
    };
  });
}
