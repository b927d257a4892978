/**
 * What running out of tensor memory on the CPU means for the user and for the engine worker.
 *
 * The oneDNN backend keeps tensors in the process's own memory, up to a limit (three quarters of
 * the machine's, or LOUPE_TENSOR_MEMORY_GIB; onednn/native-backend.ts): a tensor past it fails
 * before anything is allocated (TensorMemoryExhausted).
 *
 * The wasm backend keeps every tensor in tfjs's WebAssembly heap, which stops at 4 GiB (wasm32
 * addresses). A batch or an input size past it does not fail one allocation cleanly: tfjs's byte
 * count wraps at 32 bits, and what follows is a trap of WebAssembly code ("memory access out of
 * bounds", "null function or function signature mismatch") or a view past the heap's end
 * (RangeError). After a trap the heap's allocator may be left half-updated: in a test every later
 * allocation of the same worker failed, even with all tensors freed.
 *
 * Either way the call answers ENGINE_OUT_OF_MEMORY in plain words, and the supervisor
 * (main/engine/supervisor.ts) replaces the worker rather than let later calls fail as bugs.
 */
import { LoupeError } from '../../contract/errors';
import { TensorMemoryExhausted } from '../backends/onednn/native-backend';

/** The most tensor memory the wasm heap holds. */
export const WASM_HEAP_GIB = 4;

/** WebAssembly's trap type (this project's TypeScript libs leave the WebAssembly namespace out). */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (message?: string) => Error } })
  .WebAssembly.RuntimeError;

/** A typed array or buffer too long for memory: a tensor's view past the heap, or one that cannot be allocated. */
const TOO_LONG = /Invalid typed array length|Array buffer allocation failed|WebAssembly\.Memory/;

/** True for a tensor past the oneDNN backend's limit, a trap of WebAssembly code (tfjs's wasm kernels, XNNPACK) or a tensor too big for memory. */
export function isTensorHeapFailure(error: unknown): boolean {
  return (
    error instanceof TensorMemoryExhausted ||
    error instanceof WasmRuntimeError ||
    (error instanceof RangeError && TOO_LONG.test(error.message))
  );
}

function gib(bytes: number): string {
  return `${Number((bytes / 2 ** 30).toFixed(1))} GiB`;
}

/** The error a call that ran out of tensor memory (`error`, which isTensorHeapFailure accepted) answers with. */
export function outOfTensorMemory(error: unknown): LoupeError {
  const limit =
    error instanceof TensorMemoryExhausted
      ? `it holds at most ${gib(error.limitBytes)} of them, and one more needed ${gib(error.requestedBytes)} (LOUPE_TENSOR_MEMORY_GIB sets the limit)`
      : error instanceof RangeError && /Array buffer allocation failed/.test(error.message)
        ? 'this machine had no memory left for the next one'
        : `on the wasm backend it holds at most ${WASM_HEAP_GIB} GiB of them`;
  return new LoupeError(
    'ENGINE_OUT_OF_MEMORY',
    `The engine ran out of memory for tensors: ${limit}. ` +
      'Lower the batch size or the input size (rows × columns), or train on a GPU. The engine has been restarted.',
  );
}
