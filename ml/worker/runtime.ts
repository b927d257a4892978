/**
 * The worker's side of the engine protocol: validates each call, runs its method, streams
 * progress, honours cancel. Free of any transport so tests can drive it directly.
 */
import {
  engineMethods,
  isEngineMethod,
  toEngineSchema,
  type EngineMethodName,
  type EngineParsedRequestOf,
  type EngineProgressOf,
  type EngineReplyOf,
  type FromEngine,
} from '../../contract/engine/protocol';
import { LoupeError, describeIssues, toErrorPayload } from '../../contract/errors';
import { throwIfGpuFault } from '../backends/webgpu/faults';
import { isTensorHeapFailure, outOfTensorMemory } from './heap-failure';

export interface MethodContext<M extends EngineMethodName> {
  readonly signal: AbortSignal;
  progress(data: EngineProgressOf<M>): void;
  /**
   * Moves `buffer`, part of the reply, to main instead of copying it (where the host moves
   * buffers). Absent where no message carries the reply (a test calling a method itself).
   */
  moveInReply?(buffer: ArrayBuffer): void;
}

export type EngineMethodHandlers = {
  [M in EngineMethodName]: (request: EngineParsedRequestOf<M>, context: MethodContext<M>) => Promise<EngineReplyOf<M>>;
};

export class EngineRuntime {
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly handlers: EngineMethodHandlers,
    private readonly send: (message: FromEngine, transfer?: ArrayBuffer[]) => void,
  ) {}

  /** Handles one message from main; never throws. */
  receive(raw: unknown): void {
    const message = toEngineSchema.safeParse(raw);
    if (!message.success) return; // Not ours: main only sends the protocol above.
    if (message.data.type === 'cancel') {
      this.running.get(message.data.id)?.abort();
      return;
    }
    void this.run(message.data.id, message.data.method, message.data.payload);
  }

  private async run(id: number, method: string, payload: unknown): Promise<void> {
    const controller = new AbortController();
    const moved: ArrayBuffer[] = [];
    this.running.set(id, controller);
    try {
      if (!isEngineMethod(method)) throw new LoupeError('UNKNOWN_CHANNEL', `The engine has no method "${method}".`);
      const def = engineMethods[method];
      const request = def.request.safeParse(payload ?? {});
      if (!request.success)
        throw new LoupeError('INVALID_REQUEST', `Invalid ${method} request: ${describeIssues(request.error.issues)}`);
      const handler = this.handlers[method] as (r: unknown, c: MethodContext<EngineMethodName>) => Promise<unknown>;
      const value = await handler(request.data, {
        signal: controller.signal,
        progress: (data) => this.send({ type: 'progress', id, data }),
        moveInReply: (buffer) => moved.push(buffer),
      });
      // A GPU error during the call (reported as an event, not thrown) fails it (webgpu/faults.ts).
      throwIfGpuFault();
      this.send({ type: 'result', id, ok: true, value }, moved);
    } catch (error) {
      if (!(error instanceof LoupeError)) console.error(`[engine] ${method} failed:`, error);
      // The supervisor restarts a worker that answers ENGINE_OUT_OF_MEMORY (heap-failure.ts) or, after
      // a GPU fault, ENGINE_CRASHED (webgpu/faults.ts).
      const payload = isTensorHeapFailure(error)
        ? outOfTensorMemory(error).toPayload()
        : controller.signal.aborted && !(error instanceof LoupeError)
          ? { code: 'CANCELLED' as const, message: 'Cancelled.' }
          : toErrorPayload(error);
      this.send({ type: 'result', id, ok: false, error: payload });
    } finally {
      this.running.delete(id);
    }
  }
}

/** Throws CANCELLED when the call was cancelled; long loops call it between steps. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new LoupeError('CANCELLED', 'Cancelled.');
}

/** Lets queued messages (a cancel) in between synchronous chunks of tensor work. */
export function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
