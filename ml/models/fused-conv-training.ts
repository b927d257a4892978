/**
 * A convolution with a bias and/or a ReLU, trained as one kernel (FusedConv2D) forward.
 *
 * Under a gradient tfjs splits tf.fused.conv2d with an activation into three kernels (the
 * convolution, a broadcast Add of the bias, the ReLU: `shouldFuse` in tfjs-core), each a full-size
 * pass over the activation, and the tape keeps the outputs of the first two for their gradients.
 * Here the forward pass is the backend's fused kernel (oneDNN's convolution with bias and ReLU
 * post-ops, WebGPU's Conv2DMMProgram with both in its epilogue), and the gradient is registered for
 * FusedConv2D itself, which tfjs registers none for (its fused ops differentiate through
 * tf.customGrad, which this file does not use):
 *
 *   g = dy · step(y)  (ReLU's gradient at its output y: y > 0 exactly where the sum was > 0)
 *   dx = Conv2DBackpropInput(g, filter), dfilter = Conv2DBackpropFilter(x, g), dbias = Σ g over N, H, W
 *
 * g and dbias come from one kernel where the backend registers RELU_BIAS_GRAD (WebGPU: two GPU
 * programs where the ReLU's gradient and tfjs's sum took three).
 *
 * Each input's gradient is computed only when the backward pass asks for it (the images, the first
 * layer's input, need none), and only x, the filter and y are kept for it: y is also the next
 * layer's input, so a layer keeps no activation of its own. The values are tfjs's own up to the
 * rounding of the bias sum inside the convolution (conv2d.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { RELU_BIAS_GRAD, reluGradient } from '../backends/lean-gradients';
import { releaseWithNode } from '../train/release-during-backward';

export type FusedActivation = 'linear' | 'relu';

interface Conv {
  strides: [number, number];
  pad: 'same' | 'valid';
  dataFormat: 'NHWC';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const fusedConvGradient: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dyIn, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as tf.FusedConv2DAttrs;
    const activation = a.activation ?? 'linear';
    if (activation !== 'linear' && activation !== 'relu')
      throw new Error(`FusedConv2D's gradient is Loupe's for linear and ReLU only, not ${activation}.`);
    if ([a.dilations ?? 1].flat().some((d) => d !== 1)) throw new Error('FusedConv2D trains with dilation 1 only.');
    const dy = dyIn as tf.Tensor4D;
    const conv: Conv = {
      strides: typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides,
      pad: a.pad as 'same' | 'valid',
      dataFormat: 'NHWC',
      dimRoundingMode: a.dimRoundingMode,
    };
    const engine = tf.engine();
    // Read by every input's gradient, so made here (a thunk's tidy would free it) and freed with the node.
    // With a bias and a ReLU, the backend may make the bias's gradient in the same kernel.
    let g: tf.Tensor4D = dy;
    let dbias: tf.Tensor | null = null;
    if (activation === 'relu' && (a as { hasBias?: boolean }).hasBias === true && reluBiasKernel(dy)) {
      [g, dbias] = engine.runKernel(RELU_BIAS_GRAD, { dy, y }) as [tf.Tensor4D, tf.Tensor];
    } else if (activation === 'relu') {
      g = reluGradient(dy, y) as tf.Tensor4D;
    }
    if (g !== dy) releaseWithNode(g);
    return {
      x: () =>
        engine.runKernel(tf.Conv2DBackpropInput, { dy: g, filter }, { ...conv, inputShape: x.shape }) as tf.Tensor,
      filter: () =>
        engine.runKernel(tf.Conv2DBackpropFilter, { x, dy: g }, { ...conv, filterShape: filter.shape }) as tf.Tensor,
      bias: () => dbias ?? tf.sum(g, [0, 1, 2]),
    };
  },
};
tf.registerGradient(fusedConvGradient);

/** True where the active backend makes the ReLU's and the bias's gradients in one kernel (WebGPU). */
function reluBiasKernel(dy: tf.Tensor): boolean {
  return dy.dtype === 'float32' && dy.size > 0 && tf.getKernel(RELU_BIAS_GRAD, tf.getBackend()) !== undefined;
}

/**
 * conv(x, filter) + bias, then the activation, as one FusedConv2D kernel with the gradient above
 * (channels last, dilation 1). The bias may be null.
 */
export function fusedConvForTraining(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  strides: [number, number],
  pad: 'same' | 'valid',
  activation: FusedActivation,
): tf.Tensor4D {
  // The bias is left out of the inputs, not set to undefined: tfjs's tape reads every input it names.
  const inputs: tf.NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  // hasBias tells the gradient whether to make the bias's (the kernels ignore it).
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation, hasBias: bias !== null };
  return tf.engine().runKernel(tf.FusedConv2D, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
