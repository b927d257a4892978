import type { BrowserWindowConstructorOptions } from 'electron';

type WindowConstructor<T> = new (options: BrowserWindowConstructorOptions) => T;

/**
 * Creates the main window. Each web preference is spelled out, even where it is Electron's
 * default, so a reader (and the unit test, and Electronegativity's scan of the built code, which
 * reads the literal at the `new BrowserWindow` call) sees the whole security posture in one place.
 * The constructor is a parameter so the options can be tested without Electron.
 */
export function createMainWindow<T>(BrowserWindow: WindowConstructor<T>, preload: string): T {
  return new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Loupe',
    show: false,
    backgroundColor: '#15171a',
    webPreferences: {
      preload,
      // The page cannot reach the preload's or Electron's objects: only window.loupe crosses.
      contextIsolation: true,
      // The renderer runs in Chromium's OS-level sandbox; a compromised page cannot touch files.
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click cannot open links in new windows behind the window-open handler's back.
      disableBlinkFeatures: 'Auxclick',
    },
  });
}
