/**
 * Convolution filter gradients on WebGPU, replacing tfjs-backend-webgpu 4.22's.
 *
 * tfjs computes dW with one GPU thread per filter weight, each summing over every position of the
 * batch (Conv2DDerFilterProgram, DepthwiseConv2DDerFilterProgram). A U-Net's first 3×3 convolution
 * from one channel to 16 has 144 weights: 144 threads, each adding 8 × 128 × 128 products one
 * after another, while the GPU has room for a hundred thousand threads. On an NVIDIA H200 that made
 * U-Net training 60× slower than inference and slower than Loupe's CPU (bench:train's WebGPU row).
 *
 * A convolution's filter gradient is taken as a matrix product of patches and dy (conv-filter-gemm.ts).
 * A depthwise filter's is no such product: there the sum over positions is split into chunks
 * (split-K): thread (weight k, chunk s) sums its chunk into partial[k, s], and tfjs's own reduction
 * adds the chunks; neighbouring threads handle neighbouring channels, so their dy reads are
 * contiguous. The same split sum for ordinary convolutions took U-Net training on an H200 (Vulkan,
 * batch 8, 128²) from 25.5 to 66.0 images/s, with 13 of the step's 20 ms of GPU time left in it.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { convFilterGradientByProduct } from './conv-filter-gemm';

const WORKGROUP = 64;
/** Filter inputs per output channel from which the matrix-product route is the faster. */
const PRODUCT_MIN_INPUTS = 256;
/** Enough threads to fill a large GPU; more only adds partial sums to reduce. */
const TARGET_THREADS = 1 << 18;
/** Fewest positions a thread sums, so that small layers do not become all reduction. */
const MIN_CHUNK = 32;
/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension. */
const MAX_WORKGROUPS = 65535;

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

class FilterGradientProgram implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  uniforms =
    'pads : vec2<i32>, strides : vec2<i32>, dilations : vec2<i32>, weights : i32, outChannels : i32, inChannels : i32, ' +
    'filterWidth : i32, channelMul : i32, chunk : i32, chunks : i32, positions : i32, outHeight : i32, outWidth : i32, ' +
    'inHeight : i32, inWidth : i32,';
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    weights: number,
    chunks: number,
    private readonly depthwise: boolean,
  ) {
    this.outputShape = [weights, chunks];
    this.dispatch = [Math.ceil((weights * chunks) / WORKGROUP), 1, 1];
    this.shaderKey = `loupeFilterGradient_${depthwise}`;
  }

  getUserCode(): string {
    // Depthwise: the filter is [h, w, in, multiplier] and output channel d2 = d1 · multiplier + m.
    const channels = this.depthwise
      ? `let m = k % uniforms.channelMul;
         let rest = k / uniforms.channelMul;
         let d1 = rest % uniforms.inChannels;
         let d2 = d1 * uniforms.channelMul + m;`
      : `let d2 = k % uniforms.outChannels;
         let rest = k / uniforms.outChannels;
         let d1 = rest % uniforms.inChannels;`;
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          // Consecutive threads: consecutive weights of one chunk (contiguous dy reads).
          let k = index % uniforms.weights;
          let s = index / uniforms.weights;
          ${channels}
          let tap = rest / uniforms.inChannels;
          let wC = tap % uniforms.filterWidth;
          let wR = tap / uniforms.filterWidth;
          let start = s * uniforms.chunk;
          let end = min(start + uniforms.chunk, uniforms.positions);
          var yC = start % uniforms.outWidth;
          var yR = (start / uniforms.outWidth) % uniforms.outHeight;
          var b = start / (uniforms.outWidth * uniforms.outHeight);
          var sum = 0.0;
          for (var p = start; p < end; p++) {
            let xR = wR * uniforms.dilations[0] + yR * uniforms.strides[0] - uniforms.pads[0];
            let xC = wC * uniforms.dilations[1] + yC * uniforms.strides[1] - uniforms.pads[1];
            if (xR >= 0 && xR < uniforms.inHeight && xC >= 0 && xC < uniforms.inWidth) {
              sum += getX(b, xR, xC, d1) * getDy(b, yR, yC, d2);
            }
            yC++;
            if (yC == uniforms.outWidth) {
              yC = 0;
              yR++;
              if (yR == uniforms.outHeight) {
                yR = 0;
                b++;
              }
            }
          }
          setOutputAtIndex(k * uniforms.chunks + s, sum);
        }
      }`;
  }
}

interface GradientArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WebGPUBackend;
  attrs: {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
    dilations?: [number, number] | number;
    dataFormat?: 'NHWC' | 'NCHW';
  };
}

function filterGradient(args: GradientArgs, depthwise: boolean, stock: tf.KernelFunc): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  if (attrs.dataFormat === 'NCHW') return stock(args as never) as tf.TensorInfo;
  const info: ConvInfo = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    depthwise ? (attrs.dilations ?? 1) : 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
  if (!depthwise && convFilterRoute.byProduct(info))
    return convFilterGradientByProduct(backend, x, dy, info, attrs.filterShape);
  const weights = attrs.filterShape.reduce((a, b) => a * b, 1);
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const chunk = Math.max(MIN_CHUNK, Math.ceil((positions * weights) / TARGET_THREADS));
  const chunks = Math.ceil(positions / chunk);
  if (Math.ceil((weights * chunks) / WORKGROUP) > MAX_WORKGROUPS) return stock(args as never) as tf.TensorInfo;

  const program = new FilterGradientProgram(weights, chunks, depthwise);
  const uniforms = [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.dilationHeight, info.dilationWidth] },
    ...[
      weights,
      info.outChannels,
      info.inChannels,
      info.filterWidth,
      depthwise ? info.outChannels / info.inChannels : 1,
      chunk,
      chunks,
      positions,
      info.outHeight,
      info.outWidth,
      info.inHeight,
      info.inWidth,
    ].map((value) => ({ type: 'int32', data: [value] })),
  ];
  const partial = backend.runWebGPUProgram(program, [x, dy], 'float32', uniforms);
  const summed = tf.getKernel('Sum', 'webgpu')!.kernelFunc({
    inputs: { x: partial },
    backend,
    attrs: { axis: 1, keepDims: false },
  }) as tf.TensorInfo;
  backend.disposeData(partial.dataId);
  const shaped = tf.getKernel('Reshape', 'webgpu')!.kernelFunc({
    inputs: { x: summed },
    backend,
    attrs: { shape: attrs.filterShape },
  }) as tf.TensorInfo;
  backend.disposeData(summed.dataId);
  return shaped;
}

/**
 * Which ordinary convolutions take the matrix-product route, the others the split sum. Measured
 * per layer on an H200 (bench:train's U-Net and CNN shapes): the product wins once a filter has
 * 256 or more inputs per output channel (3×3 × 32 channels: 1.44 against 1.57 ms at 128² × 8, and
 * 0.33 against 1.64 ms for 3×3 × 128 at 32²), and loses badly on thin layers (3×3 × 1 channel:
 * 2.69 against 0.07 ms; 3×3 × 3: 0.85 against 0.20 ms), where patches are few columns and long.
 * A profile may replace it to compare both.
 */
export const convFilterRoute = {
  byProduct: (info: ConvInfo): boolean =>
    info.filterHeight * info.filterWidth * info.inChannels >= PRODUCT_MIN_INPUTS && info.outChannels >= 16,
};

let registered = false;

/** Puts Loupe's filter gradients in place of tfjs's on the webgpu backend; safe to call more than once. */
export function registerWebGpuFilterGradients(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, depthwise] of [
    ['Conv2DBackpropFilter', false],
    ['DepthwiseConv2dNativeBackpropFilter', true],
  ] as const) {
    const stock = tf.getKernel(kernelName, 'webgpu')!.kernelFunc;
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({
      kernelName,
      backendName: 'webgpu',
      kernelFunc: ((args: GradientArgs) => filterGradient(args, depthwise, stock)) as unknown as tf.KernelFunc,
    });
  }
}
