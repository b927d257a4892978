import { z } from 'zod';

/**
 * Every error a user can meet crosses the wire as `{ code, message }`: the code lets the UI
 * decide what to do, the message is written for the user (never a stack trace).
 */
export const ERROR_CODES = [
  /** The payload did not match the channel's schema. */
  'INVALID_REQUEST',
  /** No such channel or event in the contract. */
  'UNKNOWN_CHANNEL',
  /** The caller is not allowed to call (foreign frame, wrong origin, missing token). */
  'FORBIDDEN',
  /** A service produced a reply that does not match its own schema (a bug, reported as such). */
  'INVALID_REPLY',
  /** The folder exists and holds files, but it is not a Loupe workspace. */
  'NOT_A_WORKSPACE',
  /** The workspace was written by a newer Loupe; opening it here could damage it. */
  'WORKSPACE_TOO_NEW',
  /** No workspace is open, but the call needs one. */
  'NO_WORKSPACE',
  /** A file or record the call names does not exist. */
  'NOT_FOUND',
  /** The file could not be read or written (permissions, disk full, ...). */
  'IO_ERROR',
  /** The image file could not be decoded (damaged, unsupported, not an image); the message says why. */
  'BAD_IMAGE',
  /** The engine worker died while working on the call. */
  'ENGINE_CRASHED',
  /** The engine could not start a backend. */
  'ENGINE_UNAVAILABLE',
  /** The engine ran out of memory for tensors (the message says what to lower); it was restarted. */
  'ENGINE_OUT_OF_MEMORY',
  /** The record changed since the caller read it (a stale save, a confirmation that no longer matches). */
  'CONFLICT',
  /** The caller cancelled the call. */
  'CANCELLED',
  /** The transport closed before a reply arrived. */
  'DISCONNECTED',
  /** Anything else: a bug. The message says so without internals. */
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorPayloadSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
});
export type ErrorPayload = z.infer<typeof errorPayloadSchema>;

/** The one error type services throw on purpose; anything else is reported as INTERNAL. */
export class LoupeError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoupeError';
    this.code = code;
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }
}

export function isLoupeError(value: unknown): value is LoupeError {
  return value instanceof LoupeError;
}

/** Rebuilds a LoupeError from its wire form; anything unrecognisable becomes INTERNAL. */
export function errorFromPayload(value: unknown): LoupeError {
  const parsed = errorPayloadSchema.safeParse(value);
  if (parsed.success) return new LoupeError(parsed.data.code, parsed.data.message);
  return new LoupeError('INTERNAL', 'Loupe received an error it could not read.');
}

/** Turns anything thrown into a payload safe to send to a user: no stack, no internals. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (isLoupeError(error)) return error.toPayload();
  return { code: 'INTERNAL', message: 'Something went wrong inside Loupe. The details are in the log.' };
}

/** One readable line from zod issues: `field.path: what is wrong; ...`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(payload)'}: ${issue.message}`)
    .join('; ');
}
