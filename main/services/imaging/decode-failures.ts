/** What the decode pool tells the caller of a file whose worker it stopped, or lost. */
import { DecodeError } from '../../../ml/decode/errors';

/** The file ran past the per-file time cap, and its worker was stopped. */
export function timedOutError(capMs: number): DecodeError {
  return new DecodeError(
    'timeout',
    `Decoding took longer than ${Math.round(capMs / 1000)} s and was stopped; the file may be damaged or unusually large.`,
  );
}

/** The worker exited on this file: it ran out of its heap of `heapMb` MiB (null: it died otherwise). */
export function workerLostError(exitCode: number, heapMb: number | null): DecodeError {
  return heapMb !== null
    ? new DecodeError(
        'too-large',
        `Decoding this file needed more than the decoder's ${heapMb} MiB of working memory; it was skipped.`,
      )
    : new DecodeError('internal', `The decoder stopped unexpectedly (exit code ${exitCode}) on this file.`);
}
