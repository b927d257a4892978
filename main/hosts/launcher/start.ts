/**
 * `npm start` / `loupe start`: the desktop window when Electron's binary is here (downloading it
 * on first start, as Electron does), otherwise browser mode, saying why in one line.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { isLoupeError } from '../../../contract/index';
import { appRoot, appVersion, engineWorkerEntry, rendererDir } from '../../app/paths';
import { settingsDir } from '../../app/settings-dir';
import { WORKSPACE_ARG } from '../../app/start-workspace';
import { spawnNodeEngineWorker } from '../../engine/node-worker';
import { Services } from '../../services/index';
import { consoleLogger } from '../../services/logger';
import { isLoopbackHost } from '../../security/url-policy';
import { startWebHost } from '../web/server';
import {
  ELECTRON_NOT_INSTALLED,
  downloadElectron,
  findElectronBinary,
  hasDisplay,
  type ElectronLookup,
} from './electron-binary';
import { NO_WORKSPACE_KEY, rememberUrl, rememberedUrl, stableToken } from './stable-url';

export interface StartOptions {
  browser: boolean;
  host?: string;
  port?: number;
  open: boolean;
  debug: boolean;
  /** A workspace folder to open at start. */
  workspace?: string;
  /** Browser mode: the same port and token at every start for this workspace. */
  stableUrl?: boolean;
}

/** What choosing a host looks at; parameters so the choice can be tested without Electron. */
export interface HostProbe {
  hasDisplay(): boolean;
  find(): ElectronLookup;
  download(): boolean;
  /** Told before a download starts, which can take minutes on a slow line. */
  announceDownload(): void;
}

/** Decides the host: the Electron binary to run, or the one-line reason for browser mode. */
export function chooseHost(
  options: Pick<StartOptions, 'browser'>,
  probe: HostProbe,
): { electron: string } | { browserReason: string } {
  if (options.browser) return { browserReason: 'browser mode requested (--browser)' };
  if (!probe.hasDisplay()) return { browserReason: 'no display to open a window on' };
  let lookup = probe.find();
  if (!lookup.found && lookup.reason !== ELECTRON_NOT_INSTALLED) {
    probe.announceDownload();
    if (probe.download()) lookup = probe.find();
  }
  if (lookup.found) return { electron: lookup.binary };
  return { browserReason: `${lookup.reason} and could not be downloaded` };
}

export async function start(options: StartOptions): Promise<void> {
  const root = appRoot();
  const choice = chooseHost(options, {
    hasDisplay: () => hasDisplay(),
    find: () => findElectronBinary(root),
    download: () => downloadElectron(root),
    announceDownload: () =>
      console.error(
        "Loupe: downloading Electron's binary (first start; up to 10 minutes before browser mode takes over — `npm start -- --browser` skips it)…",
      ),
  });
  if ('electron' in choice) {
    const args = [
      root,
      ...(options.debug ? ['--debug'] : []),
      ...(options.workspace ? [WORKSPACE_ARG + path.resolve(options.workspace)] : []),
    ];
    const child = spawn(choice.electron, args, { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 1));
    return;
  }
  await runBrowserMode(options, choice.browserReason);
}

async function runBrowserMode(options: StartOptions, reason: string): Promise<void> {
  const log = consoleLogger('loupe', options.debug);
  const services = new Services({
    host: 'browser',
    version: appVersion(),
    spawnEngine: () => spawnNodeEngineWorker(engineWorkerEntry()),
    log,
    settingsDir: settingsDir(),
  });
  const workspace = options.workspace ? path.resolve(options.workspace) : null;
  if (workspace) {
    try {
      services.workspaces.open(workspace, false);
    } catch (error) {
      await services.dispose();
      throw isLoupeError(error)
        ? new Error(`Loupe could not open ${workspace}: ${error.message}`, { cause: error })
        : error;
    }
  }
  const stableKey = workspace ?? NO_WORKSPACE_KEY;
  const remembered = options.stableUrl ? rememberedUrl(settingsDir(), stableKey) : null;
  const port = options.port ?? remembered?.port;
  let host;
  try {
    host = await startWebHost({
      services,
      staticDir: rendererDir(),
      log,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(options.stableUrl ? { token: stableToken(settingsDir(), stableKey) } : {}),
    });
  } catch (error) {
    await services.dispose();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(
        `Port ${port} is in use${remembered ? ' (the stable port remembered for this workspace)' : ''}: is Loupe already running? Stop it, or pass --port.`,
        { cause: error },
      );
    throw error;
  }
  if (options.stableUrl) await rememberUrl(settingsDir(), stableKey, { port: host.port, token: host.token });
  const exposure =
    options.host && !isLoopbackHost(options.host)
      ? ` (listening on ${options.host}: reachable from the network, token required)`
      : '';
  console.log(`Loupe runs in browser mode (${reason}): open ${host.launchUrl}${exposure}`);
  if (options.open && hasDisplay()) openInBrowser(host.launchUrl);
  const stop = (): void => {
    void host
      .close()
      .then(() => services.dispose())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}
