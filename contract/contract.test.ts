import { describe, expect, it } from 'vitest';
import { createLoupeClient, type ClientTransport } from './client';
import { LoupeError, channels, events, isChannelName, packPreparedFrames, predictRequestSchema } from './index';
import type { Reply } from './wire';

describe('channel schemas', () => {
  it('declares every channel under its own name', () => {
    for (const [name, def] of Object.entries(channels)) expect(def.name).toBe(name);
    for (const [name, def] of Object.entries(events)) expect(def.name).toBe(name);
  });

  it.each([
    ['workspace.open', { path: '/data/ws' }, true],
    ['workspace.open', { path: '/data/ws', create: true }, true],
    ['workspace.open', { path: 'relative/ws' }, false],
    ['workspace.open', { path: '' }, false],
    ['workspace.open', { path: '/a\0b' }, false],
    ['workspace.open', { path: '/data', extra: 1 }, false],
    ['workspace.open', {}, false],
    ['engine.benchmark', {}, true],
    ['engine.benchmark', { size: 8 }, false],
    ['engine.benchmark', { size: 256, iterations: 0 }, false],
    ['engine.benchmark', { size: 256.5 }, false],
    ['app.info', {}, true],
    ['app.info', { anything: 1 }, false],
  ] as const)('%s %j valid=%s', (channel, payload, valid) => {
    expect(channels[channel].request.safeParse(payload).success).toBe(valid);
  });

  it('applies request defaults', () => {
    expect(channels['engine.benchmark'].request.parse({})).toEqual({ size: 256, iterations: 20 });
    expect(channels['workspace.open'].request.parse({ path: 'C:\\data' })).toEqual({ path: 'C:\\data', create: false });
  });

  it('takes a predict request of frames or of prepared frames, never both or neither', () => {
    const frame = {
      data: new Uint8Array(4),
      rows: 2,
      columns: 2,
      samplesPerPixel: 1,
      rescaleSlope: 1,
      rescaleIntercept: 0,
    };
    const prepared = {
      input: new Float32Array(4),
      frames: packPreparedFrames([{ rows: 2, columns: 2, placement: { top: 0, left: 0, height: 2, width: 2 } }]),
    };
    const ok = (request: object) => predictRequestSchema.safeParse({ modelDir: '/m', ...request }).success;
    expect(ok({ frames: [frame] })).toBe(true);
    expect(ok({ prepared })).toBe(true);
    expect(ok({ frames: [frame], prepared })).toBe(false);
    expect(ok({})).toBe(false);
    expect(ok({ prepared, pairs: [{ a: 0, b: 1 }] })).toBe(false);
  });

  it('knows its channel names', () => {
    expect(isChannelName('app.info')).toBe(true);
    expect(isChannelName('toString')).toBe(false);
    expect(isChannelName('shell.exec')).toBe(false);
  });
});

function fakeTransport(
  reply: (channel: string, payload: unknown, progress: (d: unknown) => void) => Reply,
): ClientTransport & {
  emit(event: string, payload: unknown): void;
  cancelled: string[];
} {
  let listener: ((event: string, payload: unknown) => void) | null = null;
  const cancelled: string[] = [];
  return {
    cancelled,
    invoke: async (channel, _id, payload, onProgress) => reply(channel, payload, onProgress),
    cancel: (id) => cancelled.push(id),
    onEvent: (l) => {
      listener = l;
      return () => (listener = null);
    },
    emit: (event, payload) => listener?.(event, payload),
  };
}

describe('createLoupeClient', () => {
  const info = { name: 'Loupe', version: '1.0.0', host: 'browser', platform: 'linux-x64' };

  it('returns validated replies', async () => {
    const client = createLoupeClient(fakeTransport(() => ({ ok: true, value: info })));
    await expect(client.invoke('app.info', {})).resolves.toEqual(info);
  });

  it('rejects an unknown channel without calling the transport', async () => {
    let called = false;
    const client = createLoupeClient(
      fakeTransport(() => {
        called = true;
        return { ok: true, value: null };
      }),
    );
    await expect(client.invoke('shell.exec' as 'app.info', {})).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL' });
    expect(called).toBe(false);
  });

  it('turns error replies into LoupeError with the same code and message', async () => {
    const client = createLoupeClient(
      fakeTransport(() => ({ ok: false, error: { code: 'NOT_A_WORKSPACE', message: 'nope' } })),
    );
    const error = await client.invoke('workspace.open', { path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoupeError);
    expect(error).toMatchObject({ code: 'NOT_A_WORKSPACE', message: 'nope' });
  });

  it('refuses a reply that does not match the contract', async () => {
    const client = createLoupeClient(fakeTransport(() => ({ ok: true, value: { name: 'Other' } })));
    await expect(client.invoke('app.info', {})).rejects.toMatchObject({ code: 'INVALID_REPLY' });
  });

  it('passes valid progress and drops malformed progress', async () => {
    const client = createLoupeClient(
      fakeTransport((_c, _p, progress) => {
        progress({ done: 1, total: 2 });
        progress({ done: 'x' });
        return { ok: true, value: { backend: 'cpu', size: 16, iterations: 1, msPerIteration: 1, gflops: 0.1 } };
      }),
    );
    const seen: unknown[] = [];
    await client.invoke('engine.benchmark', {}, { onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([{ done: 1, total: 2 }]);
  });

  it('delivers valid events to subscribers until they unsubscribe', () => {
    const transport = fakeTransport(() => ({ ok: true, value: null }));
    const client = createLoupeClient(transport);
    const seen: unknown[] = [];
    const off = client.on('engine.state', (s) => seen.push(s));
    transport.emit('engine.state', { state: 'ready', backend: 'wasm' });
    transport.emit('engine.state', { state: 'exploded' });
    transport.emit('unknown.event', {});
    off();
    transport.emit('engine.state', { state: 'stopped', backend: null });
    expect(seen).toEqual([{ state: 'ready', backend: 'wasm' }]);
  });

  it('forwards cancel', () => {
    const transport = fakeTransport(() => ({ ok: true, value: null }));
    createLoupeClient(transport).cancel('req-1');
    expect(transport.cancelled).toEqual(['req-1']);
  });
});
