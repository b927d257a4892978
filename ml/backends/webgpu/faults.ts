/**
 * What the GPU says went wrong. WebGPU reports errors in programs, out-of-memory buffers and a
 * lost device as events, not as exceptions: without a listener a training step whose buffer did
 * not fit in the GPU's memory, or whose program Dawn refused, goes on with zeros or stale values
 * and reports a loss as if nothing happened (Dawn only prints the message on stderr). The engine
 * watches its device (select.ts) and checks after every training step and prediction call, which
 * both end by reading results back (the read lets Dawn deliver the events first).
 */
import { LoupeError } from '../../../contract/errors';

export type GpuFaultKind = 'out-of-memory' | 'validation' | 'internal' | 'lost';

const WHAT: Record<GpuFaultKind, string> = {
  'out-of-memory': 'The GPU ran out of memory',
  validation: 'The GPU refused a program or buffer (a validation error)',
  internal: 'The GPU reported an internal error',
  lost: 'The GPU device was lost',
};

/**
 * The error a call answers with after a GPU fault; the supervisor restarts the engine on either
 * code, and a training run records the message. Thrown as it is (a LoupeError), so that every
 * layer between the step and the worker passes it on unchanged.
 */
export function gpuFaultError(kind: GpuFaultKind, detail: string): LoupeError {
  const what = `${WHAT[kind]}: ${detail}.`;
  return kind === 'out-of-memory'
    ? new LoupeError(
        'ENGINE_OUT_OF_MEMORY',
        `${what} Lower the batch size or the input size (rows × columns). The engine has been restarted.`,
      )
    : new LoupeError('ENGINE_CRASHED', `${what} The engine has been restarted.`);
}

/** The first fault since the last check; a lost device stays lost, so every later check fails. */
let pending: LoupeError | null = null;
let lost: LoupeError | null = null;
const watched = new WeakSet<GPUDevice>();

function kindOf(error: GPUError): GpuFaultKind {
  const name = error.constructor.name;
  return name === 'GPUOutOfMemoryError' ? 'out-of-memory' : name === 'GPUValidationError' ? 'validation' : 'internal';
}

/** The first line of Dawn's message (the rest names its internal calls). */
function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/** Listens to `device`'s errors and loss; safe to call again for the same device. */
export function watchDeviceFaults(device: GPUDevice): void {
  if (watched.has(device)) return;
  watched.add(device);
  device.addEventListener('uncapturederror', (event) => {
    const { error } = event as GPUUncapturedErrorEvent;
    pending ??= gpuFaultError(kindOf(error), firstLine(error.message));
  });
  void device.lost.then((info) => {
    // 'destroyed' is tfjs disposing its backend on purpose.
    if (info.reason !== 'destroyed') lost ??= gpuFaultError('lost', firstLine(info.message) || 'no reason given');
  });
}

/** Throws the GPU's first error since the last check (once), or its loss (every time). */
export function throwIfGpuFault(): void {
  const fault = lost ?? pending;
  pending = null;
  if (fault) throw fault;
}
