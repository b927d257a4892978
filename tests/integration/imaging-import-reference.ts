/** How the import test calls the services, and reads the reference decoders' raw pixel files. */
import { readFileSync } from 'node:fs';
import type { CallSession } from '../../main/services/dispatcher';

/** Calls a channel through the session, throwing the reply's error (with its code) if it failed. */
export async function invoke<T>(
  session: CallSession,
  channel: string,
  payload: unknown,
  onProgress: (p: unknown) => void = () => {},
  requestId = String(Math.random()),
): Promise<T> {
  const reply = await session.invoke(channel, requestId, payload, onProgress);
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
  return reply.value as T;
}

/** The typed array each sample type of the fixtures is served as. */
export const TYPES = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  float32: Float32Array,
} as const;

/** A reference decoder's output: the raw values of a frame, in the sample type it was written as. */
export function reference(file: string, type: keyof typeof TYPES): ArrayLike<number> {
  const bytes = new Uint8Array(readFileSync(file));
  return new TYPES[type](bytes.buffer);
}
