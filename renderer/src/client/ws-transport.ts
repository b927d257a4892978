/**
 * Browser mode's transport: the contract over one WebSocket to the web host (authenticated by
 * the cookie the token was traded for). Reconnects with backoff; calls in flight when the
 * connection drops fail with DISCONNECTED rather than hanging.
 */
import type { ClientTransport } from '../../../contract/client';
import { serverMessageSchema, encodeFrame, decodeFrame, type Reply, type ClientMessage } from '../../../contract/wire';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** Reconnect delays grow to this ceiling. */
const MAX_BACKOFF_MS = 5_000;

interface PendingCall {
  resolve(reply: Reply): void;
  onProgress(data: unknown): void;
}

export function createWebSocketTransport(url: string, onState: (state: ConnectionState) => void): ClientTransport {
  const pending = new Map<string, PendingCall>();
  const eventListeners = new Set<(event: string, payload: unknown) => void>();
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;
  let backoff = 250;

  function fail(message: string): void {
    const calls = [...pending.values()];
    pending.clear();
    for (const call of calls) call.resolve({ ok: false, error: { code: 'DISCONNECTED', message } });
  }

  function connect(): Promise<WebSocket> {
    if (opened) return opened;
    onState('connecting');
    opened = new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        socket = ws;
        backoff = 250;
        onState('open');
        resolve(ws);
      };
      ws.onmessage = (message) => {
        if (!(message.data instanceof ArrayBuffer)) return;
        const parsed = serverMessageSchema.safeParse(decodeFrame(new Uint8Array(message.data)));
        if (!parsed.success) return;
        const msg = parsed.data;
        if (msg.type === 'event') {
          for (const listener of eventListeners) listener(msg.event, msg.payload);
        } else if (msg.type === 'progress') {
          pending.get(msg.id)?.onProgress(msg.data);
        } else {
          const call = pending.get(msg.id);
          pending.delete(msg.id);
          call?.resolve(msg.reply);
        }
      };
      ws.onclose = () => {
        socket = null;
        opened = null;
        onState('closed');
        fail('The connection to Loupe was lost. Is it still running?');
        setTimeout(() => void connect(), backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      };
    });
    return opened;
  }

  function send(ws: WebSocket, message: ClientMessage): void {
    ws.send(encodeFrame(message));
  }

  void connect();
  return {
    async invoke(channel, requestId, payload, onProgress) {
      const ws = socket ?? (await connect());
      return new Promise<Reply>((resolve) => {
        pending.set(requestId, { resolve, onProgress });
        send(ws, { type: 'invoke', id: requestId, channel, payload });
      });
    },
    cancel(requestId) {
      if (socket) send(socket, { type: 'cancel', id: requestId });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
  };
}
