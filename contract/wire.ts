/**
 * How calls travel. Electron IPC carries these envelopes by structured clone; the browser
 * mode's WebSocket carries them through `encodeFrame`/`decodeFrame`, which keep typed arrays
 * binary so 16-bit pixels never go through JSON.
 */
import { z } from 'zod';
import { requestIdSchema } from './common';
import { errorPayloadSchema } from './errors';

/** IPC channel used for cancelling a call by its request id (Electron only). */
export const CANCEL_CHANNEL = 'loupe:cancel';
/** IPC channel main uses to push progress events of a call (Electron only). */
export const PROGRESS_CHANNEL = 'loupe:progress';
/** IPC channel main uses to push contract events (Electron only). */
export const EVENT_CHANNEL = 'loupe:event';

/** What the Electron preload sends with each `ipcRenderer.invoke(channel, …)`. */
export const ipcInvokeSchema = z.object({ requestId: requestIdSchema, payload: z.unknown() }).strict();
export const ipcCancelSchema = z.object({ requestId: requestIdSchema }).strict();

export const clientMessageSchema = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('invoke'), id: requestIdSchema, channel: z.string().max(200), payload: z.unknown() })
    .strict(),
  z.object({ type: z.literal('cancel'), id: requestIdSchema }).strict(),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const replySchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorPayloadSchema }),
]);
export type Reply = z.infer<typeof replySchema>;

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('reply'), id: requestIdSchema, reply: replySchema }),
  z.object({ type: z.literal('progress'), id: requestIdSchema, data: z.unknown() }),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

const TYPED_ARRAYS = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type AnyTypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;

const BINARY_MARK = '$loupeBinary';

function typedArrayName(value: unknown): TypedArrayName | null {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return null;
  const name = value.constructor.name;
  return Object.hasOwn(TYPED_ARRAYS, name) ? (name as TypedArrayName) : null;
}

/**
 * Frame layout: [u32 LE header length][header JSON, UTF-8][binary blobs back to back].
 * Typed arrays anywhere in the value become `{ $loupeBinary: [kind, offset, length] }` in the
 * header; offsets are aligned to 8 bytes so the receiver can view them without copying.
 */
export function encodeFrame(message: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const header = JSON.stringify(message, function (this: unknown, key: string, value: unknown) {
    // JSON.stringify calls toJSON-less typed arrays with their own value; swap them first.
    const original = key === '' ? value : (this as Record<string, unknown>)[key];
    const kind = typedArrayName(original);
    if (!kind) return value;
    const view = original as AnyTypedArray;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const padded = Math.ceil(offset / 8) * 8;
    if (padded > offset) blobs.push(new Uint8Array(padded - offset));
    blobs.push(bytes);
    const ref = { [BINARY_MARK]: [kind, padded, view.length] };
    offset = padded + bytes.byteLength;
    return ref;
  });
  const headerBytes = new TextEncoder().encode(header);
  const bodyStart = Math.ceil((4 + headerBytes.byteLength) / 8) * 8;
  const frame = new Uint8Array(bodyStart + offset);
  new DataView(frame.buffer).setUint32(0, headerBytes.byteLength, true);
  frame.set(headerBytes, 4);
  let at = bodyStart;
  for (const blob of blobs) {
    frame.set(blob, at);
    at += blob.byteLength;
  }
  return frame;
}

/** Inverse of `encodeFrame`. Throws a plain Error on a malformed frame; callers treat it as a protocol error. */
export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.byteLength < 4) throw new Error('Frame too short.');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, true);
  if (4 + headerLength > frame.byteLength) throw new Error('Frame header overruns the frame.');
  const header = new TextDecoder().decode(frame.subarray(4, 4 + headerLength));
  const bodyStart = Math.ceil((4 + headerLength) / 8) * 8;
  // Copy the body once so every typed array below is aligned, whatever the source buffer's offset.
  const body = frame.slice(Math.min(bodyStart, frame.byteLength));
  return JSON.parse(header, (_key, value: unknown) => {
    if (!value || typeof value !== 'object' || !Object.hasOwn(value, BINARY_MARK)) return value;
    const ref = (value as Record<string, unknown>)[BINARY_MARK];
    if (!Array.isArray(ref) || ref.length !== 3) throw new Error('Malformed binary reference.');
    const [kind, start, length] = ref as [unknown, unknown, unknown];
    if (typeof kind !== 'string' || !Object.hasOwn(TYPED_ARRAYS, kind)) throw new Error('Unknown binary kind.');
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(length) ||
      (start as number) < 0 ||
      (length as number) < 0
    ) {
      throw new Error('Malformed binary reference.');
    }
    const Ctor = TYPED_ARRAYS[kind as TypedArrayName];
    const end = (start as number) + (length as number) * Ctor.BYTES_PER_ELEMENT;
    if (end > body.byteLength || (start as number) % Ctor.BYTES_PER_ELEMENT !== 0)
      throw new Error('Binary reference outside the frame.');
    return new Ctor(body.buffer, start as number, length as number);
  });
}
