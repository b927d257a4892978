/**
 * A batch norm followed by a ReLU, trained as one kernel each way where the backend's batch-norm
 * kernels take the ReLU (oneDNN and WebGPU do: ml/backends/batch-norm-training.ts).
 *
 * Every unit of Loupe's builders is convolution → batch norm → ReLU (common.ts: convUnit), as
 * separate layers, so that saved models, exports and explanations see each of them. In training,
 * the ReLU was a full-size pass forward and one backward, and its gradient kept the batch norm's
 * output alive until the backward pass reached it. Here, during a training pass run through
 * `applyForTraining`, a batch norm whose only reader is a plain ReLU layer applies the ReLU in its
 * own kernel (and its gradient reads dy only where the output is positive, as the ReLU's own
 * gradient does from its input), and that ReLU layer passes the tensor on unchanged. Nothing
 * changes outside such a pass: inference, explanations and exports run the layers as they are.
 *
 * Loupe's ReLU layer is tfjs's class under the same class name (ReLU), except that it lets through
 * a tensor a batch norm already applied it to, and that a maximum of 6 (MobileNetV2's ReLU6) is
 * tf.relu6, one kernel each way, where tfjs's layer ran a ReLU and a clip (two kernels forward, six
 * back: the clip's gradient is two comparisons, an and, a zeros and a select), with the same values:
 * dy where 0 < x ≤ 6. Importing this module puts it in tfjs's class map, so models read from disk
 * get it too (ml/model-io imports it).
 */
import * as tf from '@tensorflow/tfjs';

type ReLUArgs = Parameters<typeof tf.layers.reLU>[0];
type Kwargs = Record<string, unknown>;

/** Batch-norm layers that apply the ReLU after them in the training pass now running. */
const fusing = new WeakSet<tf.layers.Layer>();
/** Tensors a batch norm applied the ReLU to, which the ReLU layer after it passes on. */
const reluApplied = new WeakSet<tf.Tensor>();
/** Per model, its batch norms whose only reader is a plain ReLU layer (the graph does not change). */
const fusableByModel = new WeakMap<tf.LayersModel, tf.layers.Layer[]>();

/** tfjs-layers' class, which @tensorflow/tfjs does not export by name. */
const StockReLU = Object.getPrototypeOf(tf.layers.reLU()).constructor as (new (args?: ReLUArgs) => tf.layers.Layer) &
  Pick<tf.serialization.SerializableConstructor<tf.layers.Layer>, 'fromConfig'>;

export class ReLU extends StockReLU {
  static className = 'ReLU';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) && inputs.length === 1 ? inputs[0]! : inputs;
    if (!Array.isArray(input) && reluApplied.has(input)) return input;
    if (!Array.isArray(input) && (this as unknown as { maxValue?: number | null }).maxValue === 6)
      return tf.relu6(input);
    return super.call(inputs, kwargs);
  }
}

// In place of tfjs's class (not registerClass, which would save models under `Custom>ReLU`).
tf.serialization.SerializationMap.register(ReLU);

/** A ReLU layer (tfjs's arguments). */
export function reLU(args?: ReLUArgs): tf.layers.Layer {
  return new ReLU(args);
}

/** True when `layer` (a batch norm) is to apply the ReLU after it in the training pass now running. */
export function fusesReluAfter(layer: tf.layers.Layer): boolean {
  return fusing.has(layer);
}

/** Marks `y` as having had the ReLU applied, for the ReLU layer after the batch norm that made it. */
export function markReluApplied(y: tf.Tensor): void {
  reluApplied.add(y);
}

function isPlainReLU(layer: tf.layers.Layer): boolean {
  const maxValue = (layer.getConfig() as { maxValue?: number | null }).maxValue;
  return layer instanceof ReLU && (maxValue === undefined || maxValue === null);
}

interface GraphNode {
  outboundLayer: tf.layers.Layer;
}

/** The batch norms of `model` (and of the models inside it) whose only reader is a plain ReLU layer. */
function fusableBatchNorms(model: tf.LayersModel): tf.layers.Layer[] {
  const cached = fusableByModel.get(model);
  if (cached) return cached;
  const found: tf.layers.Layer[] = [];
  const outputs = new Set<tf.layers.Layer>(
    (model as unknown as { outputLayers: tf.layers.Layer[] }).outputLayers ?? [],
  );
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) found.push(...fusableBatchNorms(layer));
    if (layer.getClassName() !== 'BatchNormalization' || outputs.has(layer)) continue;
    const readers = (layer as unknown as { outboundNodes: GraphNode[] }).outboundNodes;
    if (layer.inboundNodes.length === 1 && readers.length === 1 && isPlainReLU(readers[0]!.outboundLayer))
      found.push(layer);
  }
  fusableByModel.set(model, found);
  return found;
}

/**
 * model.apply(x, { training: true }), with each batch norm whose only reader is a plain ReLU layer
 * applying that ReLU in its own kernels (where the backend's take it; else as before).
 */
export function applyForTraining(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  const layers = fusableBatchNorms(model);
  for (const layer of layers) fusing.add(layer);
  try {
    return model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
  } finally {
    for (const layer of layers) fusing.delete(layer);
  }
}
