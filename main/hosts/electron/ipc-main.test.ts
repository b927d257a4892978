import { describe, expect, it } from 'vitest';
import { isAppUrl } from '../../security/url-policy';
import { CheckedIpcMain, type IpcMainLike } from './ipc-main';

type Listener = (event: never, ...args: unknown[]) => unknown;

function fakeIpcMain(): IpcMainLike & { handlers: Map<string, Listener>; listeners: Map<string, Listener> } {
  const handlers = new Map<string, Listener>();
  const listeners = new Map<string, Listener>();
  return {
    handlers,
    listeners,
    handle: (channel, listener) => void handlers.set(channel, listener as Listener),
    removeHandler: (channel) => void handlers.delete(channel),
    on: (channel, listener) => listeners.set(channel, listener as Listener),
    removeListener: (channel) => listeners.delete(channel),
  };
}

function senderEvent(options: { url?: string; subframe?: boolean; noFrame?: boolean } = {}) {
  const mainFrame = { url: options.url ?? 'app://loupe/index.html' };
  const senderFrame = options.noFrame ? null : options.subframe ? { url: mainFrame.url } : mainFrame;
  return { sender: { mainFrame, id: 1 }, senderFrame } as never;
}

const ok = async () => ({ ok: true as const, value: 'ran' });

describe('CheckedIpcMain', () => {
  it('refuses to register a channel outside the contract', () => {
    const ipc = new CheckedIpcMain(fakeIpcMain(), isAppUrl);
    expect(() => ipc.handle('shell.openPath', ok)).toThrow(/not in the contract/);
  });

  it('runs the handler for the app top frame with a valid envelope', async () => {
    const fake = fakeIpcMain();
    new CheckedIpcMain(fake, isAppUrl).handle('app.info', ok);
    const reply = await fake.handlers.get('app.info')!(senderEvent(), { requestId: 'r1', payload: {} });
    expect(reply).toEqual({ ok: true, value: 'ran' });
  });

  it.each([
    ['a sub-frame', { subframe: true }, /top frame/],
    ['another origin', { url: 'https://evil.example/' }, /Loupe pages only/],
    ['a file: page', { url: 'file:///tmp/x.html' }, /Loupe pages only/],
    ['a destroyed frame', { noFrame: true }, /frame is gone/],
  ])('refuses %s with FORBIDDEN and never runs the handler', async (_name, sender, message) => {
    const fake = fakeIpcMain();
    let ran = false;
    new CheckedIpcMain(fake, isAppUrl).handle('app.info', async () => {
      ran = true;
      return { ok: true, value: null };
    });
    const reply = (await fake.handlers.get('app.info')!(senderEvent(sender), { requestId: 'r', payload: {} })) as {
      ok: boolean;
      error: { code: string; message: string };
    };
    expect(ran).toBe(false);
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe('FORBIDDEN');
    expect(reply.error.message).toMatch(message);
  });

  it.each([[undefined], [null], ['string'], [{ payload: {} }], [{ requestId: 'r', payload: {}, extra: 1 }]])(
    'refuses a malformed envelope %j',
    async (envelope) => {
      const fake = fakeIpcMain();
      new CheckedIpcMain(fake, isAppUrl).handle('app.info', ok);
      const reply = await fake.handlers.get('app.info')!(senderEvent(), envelope);
      expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    },
  );

  it('returns a disposer that removes the handler', () => {
    const fake = fakeIpcMain();
    const dispose = new CheckedIpcMain(fake, isAppUrl).handle('app.info', ok);
    expect(fake.handlers.has('app.info')).toBe(true);
    dispose();
    expect(fake.handlers.has('app.info')).toBe(false);
  });

  it('passes cancels only from trusted senders with a valid body', () => {
    const fake = fakeIpcMain();
    const seen: string[] = [];
    new CheckedIpcMain(fake, isAppUrl).onCancel((id) => seen.push(id));
    const listener = fake.listeners.get('loupe:cancel')!;
    listener(senderEvent(), { requestId: 'good' });
    listener(senderEvent({ url: 'https://evil.example/' }), { requestId: 'evil' });
    listener(senderEvent(), { nope: 1 });
    expect(seen).toEqual(['good']);
  });
});
