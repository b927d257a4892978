import { describe, expect, it } from 'vitest';
import { LoupeError } from '../../contract/index';
import { CallSession, Dispatcher, type CallContext, type Handlers } from './dispatcher';
import { memoryLogger } from './logger';

function handlers(overrides: Partial<Handlers>): Handlers {
  const unexpected = () => {
    throw new Error('not expected in this test');
  };
  return new Proxy(overrides as Handlers, {
    get: (target, key) => (target as Record<string | symbol, unknown>)[key] ?? unexpected,
  });
}

function context(signal = new AbortController().signal): CallContext {
  return { requestId: 'r', signal, progress: () => {} };
}

const info = { name: 'Loupe' as const, version: '1', host: 'cli' as const, platform: 'linux' };

describe('Dispatcher', () => {
  it('runs the handler and returns its validated reply', async () => {
    const dispatcher = new Dispatcher(handlers({ 'app.info': () => info }), memoryLogger());
    expect(await dispatcher.dispatch('app.info', {}, context())).toEqual({ ok: true, value: info });
  });

  it('rejects an unknown channel', async () => {
    const dispatcher = new Dispatcher(handlers({}), memoryLogger());
    const reply = await dispatcher.dispatch('fs.readFile', { path: '/etc/passwd' }, context());
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  it('rejects a prototype key posing as a channel', async () => {
    const dispatcher = new Dispatcher(handlers({}), memoryLogger());
    expect(await dispatcher.dispatch('constructor', {}, context())).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL' },
    });
  });

  it('rejects a malformed payload before the handler runs, naming the field', async () => {
    let ran = false;
    const dispatcher = new Dispatcher(
      handlers({
        'workspace.open': () => {
          ran = true;
          throw new Error('unreachable');
        },
      }),
      memoryLogger(),
    );
    const reply = await dispatcher.dispatch('workspace.open', { path: 42 }, context());
    expect(ran).toBe(false);
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(reply.ok === false && reply.error.message).toMatch(/path/);
  });

  it('passes parsed requests with defaults applied', async () => {
    let seen: unknown = null;
    const dispatcher = new Dispatcher(
      handlers({
        'engine.benchmark': (request) => {
          seen = request;
          return { backend: 'cpu', size: request.size, iterations: request.iterations, msPerIteration: 1, gflops: 1 };
        },
      }),
      memoryLogger(),
    );
    await dispatcher.dispatch('engine.benchmark', {}, context());
    expect(seen).toEqual({ size: 256, iterations: 20 });
  });

  it('refuses a handler reply that breaks the contract and logs it', async () => {
    const log = memoryLogger();
    const dispatcher = new Dispatcher(handlers({ 'app.info': () => ({ ...info, name: 'Other' }) as never }), log);
    expect(await dispatcher.dispatch('app.info', {}, context())).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REPLY' },
    });
    expect(log.lines.join('\n')).toMatch(/does not match the contract/);
  });

  it('passes LoupeErrors through and hides other errors behind INTERNAL', async () => {
    const log = memoryLogger();
    const dispatcher = new Dispatcher(
      handlers({
        'workspace.current': () => {
          throw new LoupeError('NO_WORKSPACE', 'Open a workspace first.');
        },
        'workspace.close': () => {
          throw new TypeError("Cannot read properties of undefined (reading 'secretInternals')");
        },
      }),
      log,
    );
    expect(await dispatcher.dispatch('workspace.current', {}, context())).toEqual({
      ok: false,
      error: { code: 'NO_WORKSPACE', message: 'Open a workspace first.' },
    });
    const hidden = await dispatcher.dispatch('workspace.close', {}, context());
    expect(hidden).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(JSON.stringify(hidden)).not.toMatch(/secretInternals/);
    expect(log.lines.join('\n')).toMatch(/secretInternals/);
  });
});

describe('CallSession', () => {
  it('cancels a running call by its id', async () => {
    const dispatcher = new Dispatcher(
      handlers({
        'engine.benchmark': (_request, ctx) =>
          new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
      }),
      memoryLogger(),
    );
    const session = new CallSession(dispatcher);
    const pending = session.invoke('engine.benchmark', 'call-1', {}, () => {});
    session.cancel('call-1');
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(session.size).toBe(0);
  });

  it('refuses a request id already in flight', async () => {
    let release: () => void = () => {};
    const dispatcher = new Dispatcher(
      handlers({ 'app.info': () => new Promise((resolve) => (release = () => resolve(info))) }),
      memoryLogger(),
    );
    const session = new CallSession(dispatcher);
    const first = session.invoke('app.info', 'same', {}, () => {});
    expect(await session.invoke('app.info', 'same', {}, () => {})).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
    release();
    expect(await first).toMatchObject({ ok: true });
  });

  it('cancelAll aborts everything a departing client left running', async () => {
    const dispatcher = new Dispatcher(
      handlers({
        'engine.benchmark': (_request, ctx) =>
          new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
      }),
      memoryLogger(),
    );
    const session = new CallSession(dispatcher);
    const calls = [
      session.invoke('engine.benchmark', 'a', {}, () => {}),
      session.invoke('engine.benchmark', 'b', {}, () => {}),
    ];
    session.cancelAll();
    for (const reply of await Promise.all(calls))
      expect(reply).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
  });
});
