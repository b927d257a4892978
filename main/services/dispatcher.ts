/**
 * The one place a call enters the services, whatever the host: the channel must exist in the
 * contract, the payload must match its schema, and the reply must match too before it leaves.
 */
import {
  LoupeError,
  channels,
  describeIssues,
  isChannelName,
  toErrorPayload,
  type ChannelName,
  type ParsedRequestOf,
  type ProgressOf,
  type ReplyOf,
} from '../../contract/index';
import type { Reply } from '../../contract/wire';
import type { Logger } from './logger';
import { userFacingSqliteError } from './workspace/sqlite-errors';

export interface CallContext<C extends ChannelName = ChannelName> {
  readonly requestId: string;
  /** Aborted when the caller cancels or disconnects; long work checks it between steps. */
  readonly signal: AbortSignal;
  progress(data: ProgressOf<C>): void;
}

export type Handler<C extends ChannelName> = (
  request: ParsedRequestOf<C>,
  context: CallContext<C>,
) => Promise<ReplyOf<C>> | ReplyOf<C>;

/** One handler per channel: the compiler refuses a contract channel without one. */
export type Handlers = { [C in ChannelName]: Handler<C> };

/** The handlers of one domain: every channel named `<domain>.…`. Each service folder exports one. */
export type DomainHandlers<Domain extends string> = {
  [C in ChannelName as C extends `${Domain}.${string}` ? C : never]: Handler<C>;
};

export class Dispatcher {
  constructor(
    private readonly handlers: Handlers,
    private readonly log: Logger,
  ) {}

  async dispatch(channel: string, payload: unknown, context: CallContext): Promise<Reply> {
    if (!isChannelName(channel)) {
      return fail(new LoupeError('UNKNOWN_CHANNEL', `Loupe has no call named "${channel.slice(0, 100)}".`));
    }
    const def = channels[channel];
    const request = def.request.safeParse(payload ?? {});
    if (!request.success) {
      return fail(
        new LoupeError('INVALID_REQUEST', `Invalid request to ${channel}: ${describeIssues(request.error.issues)}`),
      );
    }
    try {
      const handler = this.handlers[channel] as Handler<ChannelName>;
      const value = await handler(request.data as never, context);
      const reply = def.reply.safeParse(value);
      if (!reply.success) {
        this.log.error(`reply of ${channel} does not match the contract: ${describeIssues(reply.error.issues)}`);
        return fail(new LoupeError('INVALID_REPLY', `Loupe produced a malformed reply to ${channel}; this is a bug.`));
      }
      return { ok: true, value: reply.data };
    } catch (error) {
      if (context.signal.aborted && !(error instanceof LoupeError && error.code !== 'CANCELLED')) {
        return fail(new LoupeError('CANCELLED', 'Cancelled.'));
      }
      if (error instanceof LoupeError) return { ok: false, error: error.toPayload() };
      const userFacing = userFacingSqliteError(error);
      if (userFacing) {
        // Locked, full or damaged: the user's to fix and told to them, so no error line beside it (the CLI prints both).
        this.log.info(`${channel} failed: ${(error as Error).message}`);
        return fail(userFacing);
      }
      this.log.error(`${channel} failed`, error);
      return { ok: false, error: toErrorPayload(error) };
    }
  }
}

function fail(error: LoupeError): Reply {
  return { ok: false, error: error.toPayload() };
}

/**
 * The calls of one client (a window, a socket, a CLI run): cancel reaches only its own calls,
 * and a client that goes away cancels whatever it left running.
 */
export class CallSession {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly dispatcher: Dispatcher) {}

  async invoke(
    channel: string,
    requestId: string,
    payload: unknown,
    onProgress: (data: unknown) => void,
  ): Promise<Reply> {
    if (this.running.has(requestId)) {
      return fail(new LoupeError('INVALID_REQUEST', `Request id ${requestId} is already in use.`));
    }
    const controller = new AbortController();
    this.running.set(requestId, controller);
    try {
      return await this.dispatcher.dispatch(channel, payload, {
        requestId,
        signal: controller.signal,
        progress: (data) => {
          if (!controller.signal.aborted) onProgress(data);
        },
      });
    } finally {
      this.running.delete(requestId);
    }
  }

  cancel(requestId: string): void {
    this.running.get(requestId)?.abort();
  }

  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }

  get size(): number {
    return this.running.size;
  }
}
