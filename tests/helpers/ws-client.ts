import WebSocket from 'ws';
import { createLoupeClient, type LoupeApi } from '../../contract/client';
import { decodeFrame, encodeFrame, serverMessageSchema, type Reply } from '../../contract/wire';

/** A Node client of the browser-mode socket, speaking the same frames as the renderer. */
export async function connectClient(
  url: string,
  headers: Record<string, string>,
): Promise<{ client: LoupeApi; socket: WebSocket }> {
  const socket = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const pending = new Map<string, { resolve: (r: Reply) => void; onProgress: (d: unknown) => void }>();
  const events = new Set<(e: string, p: unknown) => void>();
  socket.on('message', (data: Buffer) => {
    const message = serverMessageSchema.parse(decodeFrame(new Uint8Array(data)));
    if (message.type === 'event') for (const l of events) l(message.event, message.payload);
    else if (message.type === 'progress') pending.get(message.id)?.onProgress(message.data);
    else pending.get(message.id)?.resolve(message.reply);
  });
  const client = createLoupeClient({
    invoke: (channel, id, payload, onProgress) =>
      new Promise<Reply>((resolve) => {
        pending.set(id, { resolve, onProgress });
        socket.send(encodeFrame({ type: 'invoke', id, channel, payload }));
      }),
    cancel: (id) => socket.send(encodeFrame({ type: 'cancel', id })),
    onEvent: (listener) => {
      events.add(listener);
      return () => events.delete(listener);
    },
  });
  return { client, socket };
}
