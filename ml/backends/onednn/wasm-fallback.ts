/**
 * An op the oneDNN addon lacks, or a case its kernel is not given, runs on tfjs's wasm backend
 * (with Loupe's wasm kernels): the inputs are copied onto the wasm heap, the wasm kernel runs,
 * and its outputs are copied back into the oneDNN backend's memory. coverage.ts counts every such
 * call as a fallback; one training step of each reference model has none.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info } from '../wasm-kernels/wasm-calls';
import type { OneDnnBackend } from './native-backend';

/** The initialised wasm backend the fallbacks run on (select.ts starts it before `onednn`). */
function wasmBackend(): BackendWasm {
  const wasm = tf.findBackend('wasm') as BackendWasm | null;
  if (!wasm) throw new Error('The oneDNN backend falls back to wasm, which has not started.');
  return wasm;
}

type Inputs = tf.NamedTensorInfoMap | Info[];

/** `kernelFunc` (a wasm kernel) as a kernel of the oneDNN backend, with a copy each way. */
export function onWasm(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const native = backend as unknown as OneDnnBackend;
    const wasm = wasmBackend();
    const copies = new Map<object, Info>();
    const copy = (info: Info | undefined): Info | undefined => {
      if (!info) return info;
      let made = copies.get(info.dataId);
      if (!made) {
        const dataId = wasm.write(native.stored(info.dataId), info.shape, info.dtype);
        made = { dataId, shape: info.shape, dtype: info.dtype };
        copies.set(info.dataId, made);
      }
      return { ...made, shape: info.shape, dtype: info.dtype };
    };
    // Concat, Pack and AddN take an array of tensors, the others a map by name.
    const given = inputs as Inputs;
    const onHeap = Array.isArray(given)
      ? given.map((info) => copy(info)!)
      : Object.fromEntries(Object.entries(given).map(([name, info]) => [name, copy(info)]));
    try {
      const args = { inputs: onHeap as tf.NamedTensorInfoMap, backend: wasm, ...(attrs ? { attrs } : {}) };
      const result = kernelFunc(args) as Info | Info[];
      const outputs = Array.isArray(result) ? result : [result];
      const back = outputs.map((out) => {
        const dataId = native.adopt(wasm.readSync(out.dataId), out.dtype);
        wasm.disposeData(out.dataId);
        return { dataId, shape: out.shape, dtype: out.dtype };
      });
      return Array.isArray(result) ? back : back[0]!;
    } finally {
      for (const made of copies.values()) wasm.disposeData(made.dataId);
    }
  };
}
