/**
 * The only way main registers IPC handlers. Before any handler runs, the call must be on a
 * contract channel, come from the app's own top frame, and carry a well-formed envelope.
 * Modelled on VS Code's validated ipcMain wrapper.
 */
import type { IpcMainEvent, IpcMainInvokeEvent } from 'electron';
import { LoupeError, describeIssues, isChannelName, type ChannelName } from '../../../contract/index';
import { CANCEL_CHANNEL, ipcCancelSchema, ipcInvokeSchema, type Reply } from '../../../contract/wire';

/** The part of Electron's ipcMain this wrapper uses; tests pass a fake. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcMainEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcMainEvent, ...args: unknown[]) => void): unknown;
}

export type InvokeHandler = (
  channel: ChannelName,
  envelope: { requestId: string; payload: unknown },
  event: IpcMainInvokeEvent,
) => Promise<Reply>;

type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

export class CheckedIpcMain {
  constructor(
    private readonly ipcMain: IpcMainLike,
    private readonly isAppUrl: (url: string) => boolean,
  ) {}

  /** Why a sender is refused, or null when it may call. */
  refusal(event: SenderEvent): string | null {
    const frame = event.senderFrame;
    // A frame that navigated away or was destroyed mid-call has no identity left to trust.
    if (!frame) return 'the calling frame is gone';
    // Only the top frame: an embedded frame (ad, injected iframe) must not reach the services.
    if (frame !== event.sender.mainFrame) return 'calls are accepted from the top frame only';
    // Only our own pages: a window that navigated to another origin loses access.
    if (!this.isAppUrl(frame.url)) return 'calls are accepted from Loupe pages only';
    return null;
  }

  /** Registers a contract channel; returns the disposer. Refuses names outside the contract. */
  handle(channel: string, handler: InvokeHandler): () => void {
    // Unknown channels are refused at registration, so nothing outside the contract is ever listened to.
    if (!isChannelName(channel)) throw new Error(`Refusing to register IPC channel "${channel}": not in the contract.`);
    this.ipcMain.handle(channel, async (event, ...args) => {
      const refusal = this.refusal(event);
      if (refusal) return failure(new LoupeError('FORBIDDEN', `Refused ${channel}: ${refusal}.`));
      const envelope = ipcInvokeSchema.safeParse(args[0]);
      if (!envelope.success) {
        return failure(
          new LoupeError('INVALID_REQUEST', `Malformed call to ${channel}: ${describeIssues(envelope.error.issues)}`),
        );
      }
      return handler(channel, envelope.data, event);
    });
    return () => this.ipcMain.removeHandler(channel);
  }

  /** Listens for cancel messages from trusted senders; returns the disposer. */
  onCancel(listener: (requestId: string, event: IpcMainEvent) => void): () => void {
    const wrapped = (event: IpcMainEvent, ...args: unknown[]): void => {
      if (this.refusal(event)) return;
      const parsed = ipcCancelSchema.safeParse(args[0]);
      if (parsed.success) listener(parsed.data.requestId, event);
    };
    this.ipcMain.on(CANCEL_CHANNEL, wrapped);
    return () => this.ipcMain.removeListener(CANCEL_CHANNEL, wrapped);
  }
}

function failure(error: LoupeError): Reply {
  return { ok: false, error: error.toPayload() };
}
