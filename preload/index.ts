/**
 * The preload exposes two things to the page: `window.loupe`, the typed client of the
 * contract, and `window.loupeFiles.pathForFile` for dropped files. ipcRenderer itself never crosses
 * the bridge, so the page can only make contract calls.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
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

// Dropped files: the page sees File objects only; this one task-shaped call gives their path on
// disk so Loupe imports them in place (Electron removed File.path). Nothing else of the file
// system crosses the bridge.
contextBridge.exposeInMainWorld('loupeFiles', { pathForFile: (file: File) => webUtils.getPathForFile(file) });
