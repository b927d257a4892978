/**
 * What every CLI command shares: the services (started lazily, with the engine in a worker
 * thread) and calls through the same dispatcher as the UI, so a command validates exactly
 * like a button.
 */
import {
  errorFromPayload,
  isLoupeError,
  type ChannelName,
  type ProgressOf,
  type ReplyOf,
  type RequestOf,
} from '../../../contract/index';
import { appVersion, engineWorkerEntry } from '../../app/paths';
import { spawnNodeEngineWorker } from '../../engine/node-worker';
import { CallSession } from '../../services/dispatcher';
import { Services } from '../../services/index';
import { consoleLogger } from '../../services/logger';

export class CliContext {
  private services: Services | null = null;
  private session: CallSession | null = null;
  private nextId = 1;

  constructor(readonly debug: boolean) {}

  get app(): Services {
    if (!this.services) {
      this.services = new Services({
        host: 'cli',
        version: appVersion(),
        spawnEngine: () => spawnNodeEngineWorker(engineWorkerEntry()),
        log: consoleLogger('loupe', this.debug),
      });
      this.session = new CallSession(this.services.dispatcher);
    }
    return this.services;
  }

  async invoke<C extends ChannelName>(
    channel: C,
    request: RequestOf<C>,
    onProgress?: (data: ProgressOf<C>) => void,
  ): Promise<ReplyOf<C>> {
    void this.app;
    const reply = await this.session!.invoke(channel, String(this.nextId++), request, (data) =>
      onProgress?.(data as ProgressOf<C>),
    );
    if (!reply.ok) throw withCliHint(channel, request, errorFromPayload(reply.error));
    return reply.value as ReplyOf<C>;
  }

  /** Cancels every running call (Ctrl+C). */
  cancelAll(): void {
    this.session?.cancelAll();
  }

  async dispose(): Promise<void> {
    await this.services?.dispose();
  }
}

/**
 * A command that needs a workspace where there is none yet: the service says to create one, and
 * the command line says how (the app's start page has its Create button).
 */
function withCliHint(channel: ChannelName, request: unknown, error: Error): Error {
  const opening = channel === 'workspace.open' && (request as { create?: boolean }).create === false;
  const absent = isLoupeError(error) && (error.code === 'NOT_FOUND' || /not a workspace yet/.test(error.message));
  if (!opening || !absent) return error;
  error.message = `${error.message.replace(/ Create a workspace there instead\.$/, '')} \`loupe import --workspace W PATH…\` or \`loupe demo --workspace W\` makes a workspace there.`;
  return error;
}
