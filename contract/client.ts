/**
 * The typed client of the contract, `window.loupe` in the UI. The same code runs over Electron
 * IPC (built in the preload) and over the browser mode's WebSocket (built in the renderer);
 * only the transport differs.
 */
import {
  channels,
  events,
  isChannelName,
  isEventName,
  type ChannelName,
  type EventName,
  type EventPayloadOf,
  type ProgressOf,
  type ReplyOf,
  type RequestOf,
} from './index';
import { LoupeError, errorFromPayload } from './errors';
import type { Reply } from './wire';

export interface InvokeOptions<C extends ChannelName> {
  /** Called with each progress event of a long call. */
  onProgress?: (data: ProgressOf<C>) => void;
  /** Caller-chosen id, so the call can be cancelled with `cancel(id)`; a UUID is made if absent. */
  requestId?: string;
}

export interface LoupeApi {
  invoke<C extends ChannelName>(channel: C, request: RequestOf<C>, options?: InvokeOptions<C>): Promise<ReplyOf<C>>;
  /** Asks the services to stop a call; it then rejects with code CANCELLED. */
  cancel(requestId: string): void;
  /** Subscribes to a contract event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
}

/** What a host provides to carry calls: Electron IPC or a WebSocket. */
export interface ClientTransport {
  invoke(
    channel: ChannelName,
    requestId: string,
    payload: unknown,
    onProgress: (data: unknown) => void,
  ): Promise<Reply>;
  cancel(requestId: string): void;
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
}

export function createLoupeClient(transport: ClientTransport): LoupeApi {
  const listeners = new Map<string, Set<(payload: never) => void>>();
  let unsubscribeTransport: (() => void) | null = null;

  function dispatchEvent(name: string, payload: unknown): void {
    if (!isEventName(name)) return;
    const parsed = events[name].payload.safeParse(payload);
    // A malformed event is dropped rather than handed to UI code that trusts its type.
    if (!parsed.success) return;
    for (const listener of listeners.get(name) ?? []) listener(parsed.data as never);
  }

  return {
    async invoke(channel, request, options) {
      if (!isChannelName(channel))
        throw new LoupeError('UNKNOWN_CHANNEL', `Loupe has no call named "${String(channel)}".`);
      const requestId = options?.requestId ?? crypto.randomUUID();
      const def = channels[channel];
      const onProgress = (data: unknown): void => {
        if (!options?.onProgress || !def.progress) return;
        const parsed = def.progress.safeParse(data);
        if (parsed.success) options.onProgress(parsed.data as never);
      };
      const reply = await transport.invoke(channel, requestId, request, onProgress);
      if (!reply.ok) throw errorFromPayload(reply.error);
      const parsed = def.reply.safeParse(reply.value);
      if (!parsed.success) throw new LoupeError('INVALID_REPLY', `Loupe's reply to ${channel} was malformed.`);
      return parsed.data as ReplyOf<typeof channel>;
    },
    cancel(requestId) {
      transport.cancel(requestId);
    },
    on(event, listener) {
      if (!isEventName(event)) throw new LoupeError('UNKNOWN_CHANNEL', `Loupe has no event named "${String(event)}".`);
      if (!unsubscribeTransport) unsubscribeTransport = transport.onEvent(dispatchEvent);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => {
        set.delete(listener as (payload: never) => void);
      };
    },
  };
}
