/**
 * What every CLI command shares: the services (started lazily, with the engine in a worker
 * thread) and calls through the same dispatcher as the UI, so a command validates exactly
 * like a button.
 */
import {
  errorFromPayload,
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
    if (!reply.ok) throw errorFromPayload(reply.error);
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
