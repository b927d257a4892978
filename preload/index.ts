/**
 * The preload exposes exactly one thing to the page: `window.loupe`, the typed client of the
 * contract. ipcRenderer itself never crosses the bridge, so the page can only make contract calls.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createLoupeClient, type ClientTransport } from '../contract/client';
import { LoupeError } from '../contract/errors';
import { CANCEL_CHANNEL, EVENT_CHANNEL, PROGRESS_CHANNEL, replySchema } from '../contract/wire';

const progressListeners = new Map<string, (data: unknown) => void>();

ipcRenderer.on(PROGRESS_CHANNEL, (_event, message: { requestId?: unknown; data?: unknown }) => {
  if (typeof message?.requestId === 'string') progressListeners.get(message.requestId)?.(message.data);
});

const transport: ClientTransport = {
  async invoke(channel, requestId, payload, onProgress) {
    progressListeners.set(requestId, onProgress);
    try {
      const reply = replySchema.safeParse(await ipcRenderer.invoke(channel, { requestId, payload }));
      if (!reply.success) throw new LoupeError('INVALID_REPLY', `Loupe's reply to ${channel} was malformed.`);
      return reply.data;
    } finally {
      progressListeners.delete(requestId);
    }
  },
  cancel(requestId) {
    ipcRenderer.send(CANCEL_CHANNEL, { requestId });
  },
  onEvent(listener) {
    const handler = (_event: unknown, message: { event?: unknown; payload?: unknown }): void => {
      if (typeof message?.event === 'string') listener(message.event, message.payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
};

contextBridge.exposeInMainWorld('loupe', createLoupeClient(transport));
