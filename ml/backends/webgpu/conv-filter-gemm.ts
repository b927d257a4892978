/**
 * A convolution's filter gradient on WebGPU as one matrix product: dW[(h, w, in), out] =
 * Σ_p patches[p, (h, w, in)] · dy[p, out] over every output position p of the batch. The patches
 * (im2col) are written by a small program, and the product is tfjs's split-K matrix product, which
 * tiles it in shared memory and spreads the long sum over positions across workgroups.
 *
 * On an H200 the direct split-sum kernel (filter-gradients.ts, still used for depthwise filters)
 * took 13 of a U-Net step's 20 ms of GPU time, reading x and dy from memory for every product.
 * Patches larger than patchLimit are taken in slices of positions, whose products are added.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

const WORKGROUP = 64;
/** Most patch-matrix elements held at once (256 MiB of float32); tests lower it to exercise the slices. */
export const patchLimit = { elements: 1 << 26 };
/** tfjs's MatMulProgramType.MatMulSplitKProgram (tfjs-backend-webgpu webgpu_util.ts). */
const SPLIT_K_PROGRAM = 1;
const PROGRAM_TYPE_FLAG = 'WEBGPU_MATMUL_PROGRAM_TYPE';

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

class PatchesProgram implements WebGPUProgram {
  variableNames = ['x'];
  uniforms =
    'pads : vec2<i32>, strides : vec2<i32>, dilations : vec2<i32>, columns : i32, inChannels : i32, filterWidth : i32, ' +
    'firstPosition : i32, outHeight : i32, outWidth : i32, inHeight : i32, inWidth : i32,';
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true;
  outputShape: number[];
  dispatchLayout = { x: [0, 1, 2] };
  dispatch: [number, number, number];
  shaderKey = 'loupePatches';

  constructor(rows: number, columns: number) {
    this.outputShape = [1, rows, columns];
    this.dispatch = [Math.ceil((rows * columns) / WORKGROUP), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let column = index % uniforms.columns;
          let p = uniforms.firstPosition + index / uniforms.columns;
          let d1 = column % uniforms.inChannels;
          let tap = column / uniforms.inChannels;
          let wC = tap % uniforms.filterWidth;
          let wR = tap / uniforms.filterWidth;
          let yC = p % uniforms.outWidth;
          let yR = (p / uniforms.outWidth) % uniforms.outHeight;
          let b = p / (uniforms.outWidth * uniforms.outHeight);
          let xR = wR * uniforms.dilations[0] + yR * uniforms.strides[0] - uniforms.pads[0];
          let xC = wC * uniforms.dilations[1] + yC * uniforms.strides[1] - uniforms.pads[1];
          var value = 0.0;
          if (xR >= 0 && xR < uniforms.inHeight && xC >= 0 && xC < uniforms.inWidth) {
            value = getX(b, xR, xC, d1);
          }
          setOutputAtIndex(index, value);
        }
      }`;
  }
}

function run(kernel: string, backend: WebGPUBackend, inputs: tf.NamedTensorInfoMap, attrs: object): tf.TensorInfo {
  return tf
    .getKernel(kernel, 'webgpu')!
    .kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** dW for an NHWC convolution described by `info` (not depthwise), shaped as its filter. */
export function convFilterGradientByProduct(
  backend: WebGPUBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
  filterShape: number[],
): tf.TensorInfo {
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const columns = info.filterHeight * info.filterWidth * info.inChannels;
  const rowsPerSlice = Math.max(1, Math.floor(patchLimit.elements / columns));
  const dyRows = run('Reshape', backend, { x: dy }, { shape: [positions, info.outChannels] });
  const previousType = tf.env().get(PROGRAM_TYPE_FLAG);
  let total: tf.TensorInfo | null = null;
  try {
    // Split-K whatever the output's size: the product's inner dimension (positions) dwarfs it.
    tf.env().set(PROGRAM_TYPE_FLAG, SPLIT_K_PROGRAM);
    for (let first = 0; first < positions; first += rowsPerSlice) {
      const rows = Math.min(rowsPerSlice, positions - first);
      const patches = backend.runWebGPUProgram(new PatchesProgram(rows, columns), [x], 'float32', [
        { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
        { type: 'int32', data: [info.strideHeight, info.strideWidth] },
        { type: 'int32', data: [info.dilationHeight, info.dilationWidth] },
        ...[
          columns,
          info.inChannels,
          info.filterWidth,
          first,
          info.outHeight,
          info.outWidth,
          info.inHeight,
          info.inWidth,
        ].map((value) => ({ type: 'int32', data: [value] })),
      ]);
      const dySlice =
        rows === positions
          ? run('Reshape', backend, { x: dyRows }, { shape: [1, positions, info.outChannels] })
          : run('Slice', backend, { x: dyRows }, { begin: [first, 0], size: [rows, info.outChannels] });
      const dySlice3d = run('Reshape', backend, { x: dySlice }, { shape: [1, rows, info.outChannels] });
      const product = run(
        'BatchMatMul',
        backend,
        { a: patches, b: dySlice3d },
        { transposeA: true, transposeB: false },
      );
      for (const t of [patches, dySlice, dySlice3d]) backend.disposeData(t.dataId);
      if (total) {
        const sum = run('Add', backend, { a: total, b: product }, {});
        backend.disposeData(total.dataId);
        backend.disposeData(product.dataId);
        total = sum;
      } else total = product;
    }
  } finally {
    tf.env().set(PROGRAM_TYPE_FLAG, previousType);
    backend.disposeData(dyRows.dataId);
  }
  const shaped = run('Reshape', backend, { x: total! }, { shape: filterShape });
  backend.disposeData(total!.dataId);
  return shaped;
}
