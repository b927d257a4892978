/**
 * Entry of the gradient worker: a second Node worker thread with its own tfjs and wasm
 * instance, computing the gradients of its share of each batch for DataParallelGradients.
 * (tfjs's threaded wasm build needs Web Workers and is single-threaded under Node.)
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backends/select';
import { batchGradients } from './batch-gradients';
import type { LossFunction } from '../losses/registry';
import { resolveLoss } from './loss-registry';
import type { FromGradientWorker, SharedBuffers, TensorPayload, ToGradientWorker, WeightLayout } from './protocol';

if (!parentPort) throw new Error('The gradient worker must be started by Loupe’s training thread.');
const port = parentPort;

interface Session {
  model: tf.LayersModel;
  loss: LossFunction;
  layout: WeightLayout[];
  buffers: SharedBuffers;
}
let session: Session | null = null;

function send(message: FromGradientWorker): void {
  port.postMessage(message);
}

async function init(message: Extract<ToGradientWorker, { type: 'init' }>): Promise<void> {
  await initBackend(message.backend);
  const model = await tf.models.modelFromJSON({ modelTopology: message.topology as tf.io.ModelJSON['modelTopology'] });
  const shapes = model.weights.map((w) => w.shape.join('×')).join(', ');
  const expected = message.layout.map((w) => w.shape.join('×')).join(', ');
  if (shapes !== expected)
    throw new Error(`The rebuilt model's weights (${shapes}) differ from the original's (${expected}).`);
  session = { model, loss: resolveLoss(message.loss), layout: message.layout, buffers: message.buffers };
}

function toTensor(payload: TensorPayload): tf.Tensor {
  return tf.tensor(payload.values, payload.shape, payload.dtype);
}

/** Loads the weights the training thread shared, runs the half batch, shares the results. */
function step(message: Extract<ToGradientWorker, { type: 'step' }>): { loss: number; logits: Float32Array } {
  if (!session) throw new Error('The gradient worker received a step before its model.');
  const { model, loss, layout, buffers } = session;
  const weights = new Float32Array(buffers.weights);
  let offset = 0;
  const values = layout.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(weights.subarray(offset, offset + size), w.shape);
    offset += size;
    return t;
  });
  model.setWeights(values);
  tf.dispose(values);
  const xs = toTensor(message.x);
  const ys = toTensor(message.y);
  try {
    const { loss: value, grads, logits } = batchGradients(model, loss, xs, ys);
    const gradsOut = new Float32Array(buffers.grads);
    let g = 0;
    for (const grad of grads) {
      gradsOut.set(grad.dataSync() as Float32Array, g);
      g += grad.size;
    }
    const stateOut = new Float32Array(buffers.state);
    let s = 0;
    model.weights.forEach((w, i) => {
      if (layout[i]!.trainable) return;
      const values = w.read().dataSync() as Float32Array;
      stateOut.set(values, s);
      s += values.length;
    });
    const lossValue = value.dataSync()[0]!;
    tf.dispose([value, ...grads]);
    return { loss: lossValue, logits };
  } finally {
    tf.dispose([xs, ys]);
  }
}

port.on('message', (message: ToGradientWorker) => {
  if (message.type === 'init') {
    init(message).then(
      () => send({ type: 'ready' }),
      (error: unknown) =>
        send({ type: 'failed', id: null, message: error instanceof Error ? error.message : String(error) }),
    );
    return;
  }
  try {
    const { loss, logits } = step(message);
    port.postMessage({ type: 'stepped', id: message.id, loss, logits } satisfies FromGradientWorker, [
      logits.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    send({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
});
