/**
 * The one place the renderer gets its client: the Electron preload's `window.loupe`, or in
 * browser mode a WebSocket client of the same contract. Stores use this; components never do.
 */
import { ref, type Ref } from 'vue';
import { createLoupeClient, type LoupeApi } from '../../../contract/client';
import { createWebSocketTransport, type ConnectionState } from './ws-transport';

let client: LoupeApi | null = null;
/** Browser mode's connection state; always 'open' inside Electron. */
export const connectionState: Ref<ConnectionState> = ref('open');

export function loupe(): LoupeApi {
  if (client) return client;
  if (window.loupe) {
    client = window.loupe;
  } else {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    client = createLoupeClient(
      createWebSocketTransport(`${scheme}://${location.host}/rpc`, (state) => (connectionState.value = state)),
    );
  }
  return client;
}

/** Tests install a fake client. */
export function setLoupeClient(fake: LoupeApi): void {
  client = fake;
}

/** A user-facing message from anything a call threw. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
