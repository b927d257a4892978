import { describe, expect, it } from 'vitest';
import { clientMessageSchema, decodeFrame, encodeFrame } from './wire';

describe('encodeFrame / decodeFrame', () => {
  const cases: { name: string; value: unknown }[] = [
    {
      name: 'plain JSON',
      value: { type: 'reply', id: 'a', reply: { ok: true, value: { n: 1, s: 'x', list: [1, 2] } } },
    },
    { name: 'uint16 pixels', value: { pixels: new Uint16Array([0, 1, 65535, 4095]), rows: 2 } },
    {
      name: 'int16 and float32 side by side',
      value: { a: new Int16Array([-1024, 3071]), b: new Float32Array([0.5, -2.25, 1e-7]) },
    },
    {
      name: 'odd-length bytes then float64 (alignment)',
      value: [new Uint8Array([1, 2, 3]), new Float64Array([Math.PI])],
    },
    { name: 'a typed array at the top level', value: new Int32Array([-5, 7]) },
    { name: 'empty typed array', value: { empty: new Uint8Array(0) } },
  ];
  for (const { name, value } of cases) {
    it(`round-trips ${name}`, () => {
      expect(decodeFrame(encodeFrame(value))).toEqual(value);
    });
  }

  it('keeps the element type of typed arrays', () => {
    const decoded = decodeFrame(encodeFrame({ p: new Uint16Array([1, 2]) })) as { p: unknown };
    expect(decoded.p).toBeInstanceOf(Uint16Array);
  });

  it('decodes a view into a larger buffer at an odd offset', () => {
    const frame = encodeFrame({ p: new Uint16Array([7, 8, 9]) });
    const shifted = new Uint8Array(frame.byteLength + 3);
    shifted.set(frame, 3);
    expect(decodeFrame(shifted.subarray(3))).toEqual({ p: new Uint16Array([7, 8, 9]) });
  });

  it.each([
    ['too short', new Uint8Array([1, 0])],
    ['header longer than the frame', new Uint8Array([255, 255, 0, 0, 123])],
  ])('refuses a malformed frame: %s', (_name, frame) => {
    expect(() => decodeFrame(frame)).toThrow();
  });

  it('refuses a binary reference pointing outside the frame', () => {
    const header = new TextEncoder().encode(JSON.stringify({ $loupeBinary: ['Uint8Array', 0, 1000] }));
    const frame = new Uint8Array(8 + header.byteLength);
    new DataView(frame.buffer).setUint32(0, header.byteLength, true);
    frame.set(header, 4);
    expect(() => decodeFrame(frame)).toThrow(/outside/);
  });
});

describe('clientMessageSchema', () => {
  it('accepts invoke and cancel', () => {
    expect(clientMessageSchema.safeParse({ type: 'invoke', id: '1', channel: 'app.info', payload: {} }).success).toBe(
      true,
    );
    expect(clientMessageSchema.safeParse({ type: 'cancel', id: '1' }).success).toBe(true);
  });
  it.each([
    { type: 'invoke', id: '', channel: 'x' },
    { type: 'invoke', channel: 'x' },
    { type: 'launch', id: '1' },
    { type: 'cancel', id: '1', extra: true },
  ])('rejects %j', (message) => {
    expect(clientMessageSchema.safeParse(message).success).toBe(false);
  });
});
