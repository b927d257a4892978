import type { LoupeApi } from '../../../contract/client';
import type { ChannelName, EventName, EventPayloadOf, ReplyOf, RequestOf } from '../../../contract/index';

type Script = { [C in ChannelName]?: (request: RequestOf<C>) => ReplyOf<C> | Promise<ReplyOf<C>> };

/**
 * A client for store tests: answers only the calls the test scripted and rejects any other, so a
 * store that starts calling something new fails its tests loudly.
 */
export function fakeClient(script: Script): LoupeApi & {
  calls: { channel: ChannelName; request: unknown }[];
  emit<E extends EventName>(event: E, payload: EventPayloadOf<E>): void;
} {
  const calls: { channel: ChannelName; request: unknown }[] = [];
  const listeners = new Map<string, Set<(payload: never) => void>>();
  return {
    calls,
    async invoke(channel, request) {
      calls.push({ channel, request });
      const handler = script[channel] as ((r: unknown) => unknown) | undefined;
      if (!handler) throw new Error(`Unexpected call to ${channel}`);
      return (await handler(request)) as never;
    },
    cancel() {},
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) listener(payload as never);
    },
  };
}
