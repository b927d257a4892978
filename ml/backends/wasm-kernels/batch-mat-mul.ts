/**
 * BatchMatMul and _FusedMatMul for wasm with transposed operands. The stock kernels use
 * XNNPACK only when neither operand is transposed and fall back to a naive loop otherwise; a
 * dense layer's gradients (dy·Wᵀ and xᵀ·dy) always take that loop. Measured on the reference
 * CNN's 4096→128 layer at batch 64: xᵀ·dy 104 ms through the loop, 3.5 ms as an explicit
 * transpose followed by the XNNPACK product.
 *
 * The stock _FusedMatMul also adds its bias wrongly when there is more than one matrix in the
 * batch (rows of later matrices get the wrong bias elements); batched fused products therefore
 * run as product, Add and activation.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { transpose } from './transpose';
import { release, runStock, type Info } from './wasm-calls';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** Swaps the last two axes. */
function swapInner(backend: BackendWasm, x: Info): Info {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
}

/** Activation kernels a fused product may apply, by the attribute's name. */
const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

export const STOCK_KERNELS_FOR_MATMUL = ['BatchMatMul', '_FusedMatMul', 'Add', ...Object.values(ACTIVATION_KERNELS)];

function isBatched(a: Info, b: Info): boolean {
  return a.shape.slice(0, -2).some((d) => d > 1) || b.shape.slice(0, -2).some((d) => d > 1);
}

/** _FusedMatMul as separate kernels, for the batched case the stock kernel gets wrong. */
function unfusedProduct(backend: BackendWasm, inputs: tf.NamedTensorInfoMap, attrs: FusedAttrs): Info {
  const { a, b, bias, preluActivationWeights } = inputs as {
    a: Info;
    b: Info;
    bias?: Info;
    preluActivationWeights?: Info;
  };
  let out = runStock(backend, 'BatchMatMul', { a, b }, { transposeA: attrs.transposeA, transposeB: attrs.transposeB });
  const step = (next: Info) => {
    release(backend, out);
    out = next;
  };
  if (bias) step(runStock(backend, 'Add', { a: out, b: bias }, {}));
  const activation = attrs.activation ?? 'linear';
  if (activation !== 'linear') {
    const kernel = ACTIVATION_KERNELS[activation];
    if (!kernel) throw new Error(`Loupe's wasm _FusedMatMul does not know the activation ${activation}.`);
    const extra = activation === 'prelu' ? { alpha: preluActivationWeights! } : {};
    step(runStock(backend, kernel, { x: out, ...extra }, { alpha: attrs.leakyreluAlpha }));
  }
  return out;
}

interface FusedAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

function withPlainOperands(kernelName: string) {
  return (args: KernelArgs): Info => {
    const backend = args.backend as BackendWasm;
    const attrs = args.attrs as unknown as FusedAttrs;
    const { a, b, bias } = args.inputs as { a: Info; b: Info; bias?: Info };
    if (kernelName === tf._FusedMatMul && isBatched(a, b) && (bias || (attrs.activation ?? 'linear') !== 'linear')) {
      return unfusedProduct(backend, args.inputs, attrs);
    }
    if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return runStock(backend, kernelName, args.inputs, attrs);
    }
    const owned: Info[] = [];
    try {
      const plainA = attrs.transposeA ? swapInner(backend, a) : a;
      if (plainA !== a) owned.push(plainA);
      const plainB = attrs.transposeB ? swapInner(backend, b) : b;
      if (plainB !== b) owned.push(plainB);
      return runStock(
        backend,
        kernelName,
        { ...args.inputs, a: plainA, b: plainB },
        { ...attrs, transposeA: false, transposeB: false },
      );
    } finally {
      release(backend, ...owned);
    }
  };
}

export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  kernelFunc: withPlainOperands(tf.BatchMatMul) as tf.KernelFunc,
};

export const fusedMatMulConfig: tf.KernelConfig = {
  kernelName: tf._FusedMatMul,
  backendName: 'wasm',
  kernelFunc: withPlainOperands(tf._FusedMatMul) as tf.KernelFunc,
};
