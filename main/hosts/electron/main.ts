/**
 * The desktop host: one BrowserWindow on the app:// protocol, the services behind a checked
 * IPC wrapper, the engine in a utilityProcess. Everything else lives in the services.
 */
import { BrowserWindow, app, ipcMain, protocol, session, shell, type WebContents } from 'electron';
import { channels, type ChannelName } from '../../../contract/index';
import { EVENT_CHANNEL, PROGRESS_CHANNEL } from '../../../contract/wire';
import { appVersion, engineWorkerEntry, preloadEntry, rendererDir } from '../../app/paths';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, isAppUrl, isSafeExternalUrl } from '../../security/url-policy';
import { CallSession } from '../../services/dispatcher';
import { Services } from '../../services/index';
import { consoleLogger } from '../../services/logger';
import { settingsDir } from '../../app/settings-dir';
import { workspaceFromArgv } from '../../app/start-workspace';
import { CheckedIpcMain } from './ipc-main';
import { serveAppRequest } from './protocol';
import { spawnUtilityEngineWorker } from './utility-worker';
import { createMainWindow } from './window-options';

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

const log = consoleLogger('loupe', process.argv.includes('--debug'));

/** The one helper through which anything opens outside the app: http(s) only. */
async function openExternal(url: string): Promise<void> {
  if (isSafeExternalUrl(url)) await shell.openExternal(url);
}

app.on('web-contents-created', (_event, contents) => {
  // New windows are never created by the page; http(s) links go to the system browser.
  contents.setWindowOpenHandler(({ url }) => {
    void openExternal(url);
    return { action: 'deny' };
  });
  // The window can only ever show the app itself.
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

async function start(): Promise<void> {
  await app.whenReady();
  // Camera, microphone, notifications, geolocation...: the app needs none, so none is granted.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  const root = rendererDir();
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(root, request.url));

  const services = new Services({
    host: 'electron',
    version: appVersion(),
    spawnEngine: () => spawnUtilityEngineWorker(engineWorkerEntry()),
    log,
    openExternal,
    settingsDir: settingsDir(),
  });
  const startWorkspace = workspaceFromArgv(process.argv);
  if (startWorkspace) {
    try {
      services.workspaces.open(startWorkspace, false);
    } catch (error) {
      // The window still opens; the Workspace section lets the user pick another.
      log.error(`Could not open ${startWorkspace}`, error);
    }
  }
  const ipc = new CheckedIpcMain(ipcMain, isAppUrl);
  const sessions = new Map<number, CallSession>();
  const sessionOf = (contents: WebContents): CallSession => {
    let callSession = sessions.get(contents.id);
    if (!callSession) {
      const created = new CallSession(services.dispatcher);
      sessions.set(contents.id, created);
      contents.once('destroyed', () => {
        created.cancelAll();
        sessions.delete(contents.id);
      });
      callSession = created;
    }
    return callSession;
  };
  for (const name of Object.keys(channels) as ChannelName[]) {
    ipc.handle(name, (channel, { requestId, payload }, event) =>
      sessionOf(event.sender).invoke(channel, requestId, payload, (data) => {
        if (!event.sender.isDestroyed()) event.sender.send(PROGRESS_CHANNEL, { requestId, data });
      }),
    );
  }
  ipc.onCancel((requestId, event) => sessions.get(event.sender.id)?.cancel(requestId));
  services.bus.subscribe((name, payload) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.webContents.isDestroyed()) window.webContents.send(EVENT_CHANNEL, { event: name, payload });
    }
  });

  const window = createMainWindow(BrowserWindow, preloadEntry());
  window.once('ready-to-show', () => window.show());
  await window.loadURL(`${APP_ORIGIN}/index.html`);

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => void services.dispose());
  log.info(`desktop host ready (${APP_HOST})`);
}

start().catch((error: unknown) => {
  log.error('Loupe could not start', error);
  app.exit(1);
});
