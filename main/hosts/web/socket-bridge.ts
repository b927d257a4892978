import type { WebSocket } from 'ws';
import { clientMessageSchema, decodeFrame, encodeFrame, type ServerMessage } from '../../../contract/wire';
import { CallSession } from '../../services/dispatcher';
import type { Services } from '../../services/index';
import type { Logger } from '../../services/logger';

/** One browser tab's connection: its calls, its progress, the app's events, cleaned up on close. */
export function attachSocket(ws: WebSocket, services: Services, log: Logger): void {
  const session = new CallSession(services.dispatcher);
  const send = (message: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(message));
  };
  const unsubscribe = services.bus.subscribe((event, payload) => send({ type: 'event', event, payload }));

  ws.on('message', (data, isBinary) => {
    let message;
    try {
      if (!isBinary) throw new Error('text frame');
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      message = clientMessageSchema.parse(
        decodeFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
      );
    } catch {
      // Something that is not our protocol is talking to us: stop listening to it.
      log.warn('closing a socket that sent a malformed message');
      ws.close(1008, 'Malformed message');
      return;
    }
    if (message.type === 'cancel') {
      session.cancel(message.id);
      return;
    }
    const { id, channel, payload } = message;
    void session
      .invoke(channel, id, payload, (progress) => send({ type: 'progress', id, data: progress }))
      .then((reply) => send({ type: 'reply', id, reply }));
  });
  ws.on('close', () => {
    unsubscribe();
    session.cancelAll();
  });
}
