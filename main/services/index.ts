/**
 * The services, assembled once per host. Every host (Electron window, browser mode, CLI) calls
 * the same handlers through the same Dispatcher.
 */
import os from 'node:os';
import type { BackendName, HOST_KINDS } from '../../contract/index';
import { EngineSupervisor, type SpawnEngineWorker } from '../engine/supervisor';
import { isSafeExternalUrl } from '../security/url-policy';
import { Dispatcher, type Handlers } from './dispatcher';
import { EventBus } from './event-bus';
import type { Logger } from './logger';
import { WorkspaceService } from './workspace/workspace-service';

export interface ServiceOptions {
  host: (typeof HOST_KINDS)[number];
  version: string;
  spawnEngine: SpawnEngineWorker;
  log: Logger;
  /** Opens an http(s) URL in the system browser; absent where the UI opens links itself. */
  openExternal?: (url: string) => Promise<void>;
  forcedBackend?: BackendName | null;
}

export class Services {
  readonly bus = new EventBus();
  readonly engine: EngineSupervisor;
  readonly workspaces: WorkspaceService;
  readonly dispatcher: Dispatcher;

  constructor(private readonly options: ServiceOptions) {
    this.engine = new EngineSupervisor(
      options.spawnEngine,
      options.log,
      (status) => this.bus.emit('engine.state', status),
      options.forcedBackend ?? null,
    );
    this.workspaces = new WorkspaceService(this.bus, options.version);
    this.dispatcher = new Dispatcher(this.handlers(), options.log);
  }

  private handlers(): Handlers {
    const { options, engine, workspaces } = this;
    return {
      'app.info': () => ({ name: 'Loupe', version: options.version, host: options.host, platform: `${os.platform()}-${os.arch()}` }),
      'app.openExternal': async ({ url }) => {
        if (!options.openExternal || !isSafeExternalUrl(url)) return { opened: false };
        await options.openExternal(url);
        return { opened: true };
      },
      'engine.info': () => engine.engineInfo(),
      'engine.status': () => engine.state,
      'engine.restart': () => engine.restart(),
      'engine.benchmark': (request, context) =>
        engine.call('benchmark', request, { signal: context.signal, onProgress: (p) => context.progress(p) }),
      'workspace.open': ({ path, create }) => workspaces.open(path, create),
      'workspace.current': () => workspaces.current(),
      'workspace.close': () => ({ closed: workspaces.close() }),
    };
  }

  async dispose(): Promise<void> {
    this.workspaces.close();
    await this.engine.dispose();
  }
}
