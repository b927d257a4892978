/**
 * The one error the decoders throw on purpose. `failure` says what kind of problem it is (for the
 * import report and tests); the message is written for the user and names the file's problem,
 * never a stack trace.
 */
import type { DecodeFailure } from '../../contract/channels/imaging';

export class DecodeError extends Error {
  readonly failure: DecodeFailure;

  constructor(failure: DecodeFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
    this.failure = failure;
  }
}

export function isDecodeError(value: unknown): value is DecodeError {
  return value instanceof DecodeError;
}

/** Runs a third-party step, turning whatever it throws (dicom-parser throws strings) into a DecodeError. */
export function rethrowAs<T>(failure: DecodeFailure, prefix: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw asDecodeError(error, failure, prefix);
  }
}

export function asDecodeError(error: unknown, failure: DecodeFailure, prefix: string): DecodeError {
  if (error instanceof DecodeError) return error;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new DecodeError('too-deep', 'This file nests its data too deeply to read safely; it was skipped.', {
      cause: error,
    });
  }
  const detail = typeof error === 'string' ? error : error instanceof Error ? error.message : String(error);
  return new DecodeError(failure, `${prefix}: ${cleanDetail(detail)}`, { cause: error });
}

/** Library messages start with their function name ("dicomParser.readPart10Header: ..."); users need only the rest. */
function cleanDetail(detail: string): string {
  const text = detail.replace(/^[\w.]+:\s*/, '').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || 'unknown problem';
}

/** Error codes of a write that failed for want of space: the disk is full, or the user's quota is spent. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** True when a write failed because the disk (or the user's quota) is full; SQLite says so as SQLITE_FULL. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DISK_FULL_CODES.has(code);
}

/** The one message an import stops with when the disk fills up. */
export const DISK_FULL_MESSAGE =
  'The disk holding the workspace is full, so the import stopped; free some space, then import the same files again (those already imported are skipped as duplicates).';

export function diskFullError(cause: unknown): DecodeError {
  return new DecodeError('disk-full', DISK_FULL_MESSAGE, { cause });
}

/** What a decode worker reports for a thrown error: a DecodeError as it is, a full disk by name, or null for a bug. */
export function namedFailure(error: unknown): DecodeError | null {
  if (error instanceof DecodeError) return error;
  // A full disk is no bug and says nothing about the file: one named failure, no stack trace.
  if (isDiskFull(error)) return diskFullError(error);
  return null;
}
