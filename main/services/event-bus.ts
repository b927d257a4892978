/**
 * Contract events from the services to every connected client. Payloads are validated here, once,
 * so no host can push something the contract does not describe.
 */
import { events, type EventName, type EventPayloadOf } from '../../contract/index';

export type EventSink = (event: EventName, payload: unknown) => void;

export class EventBus {
  private readonly sinks = new Set<EventSink>();

  emit<E extends EventName>(event: E, payload: EventPayloadOf<E>): void {
    const parsed = events[event].payload.parse(payload);
    for (const sink of this.sinks) sink(event, parsed);
  }

  /** Adds a sink (a window, a socket); returns its disposer. */
  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }
}
