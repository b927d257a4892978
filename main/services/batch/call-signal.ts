import { isLoupeError } from '../../../contract/index';

/** Cancel and shutdown end a batch run; anything else the engine says is about the frames it was given. */
export function retryable(error: unknown): boolean {
  return !(isLoupeError(error) && (error.code === 'CANCELLED' || error.code === 'ENGINE_UNAVAILABLE'));
}

/**
 * A signal for one engine call that follows the run's. The supervisor never removes the listener it
 * adds to a call's signal; thousands of calls on the run's own signal would pile them up.
 */
export async function callSignal<T>(runSignal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  if (runSignal.aborted) controller.abort();
  runSignal.addEventListener('abort', abort, { once: true });
  try {
    return await call(controller.signal);
  } finally {
    runSignal.removeEventListener('abort', abort);
  }
}
