import type { BrowserWindowConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { createMainWindow } from './window-options';

class RecordingWindow {
  constructor(readonly options: BrowserWindowConstructorOptions) {}
}

describe('createMainWindow', () => {
  const window = createMainWindow(RecordingWindow, '/app/out/preload/index.cjs');
  const prefs = window.options.webPreferences!;

  it('isolates the page from Node and Electron', () => {
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      disableBlinkFeatures: 'Auxclick',
    });
  });

  it('uses the given preload and starts hidden until ready', () => {
    expect(prefs.preload).toBe('/app/out/preload/index.cjs');
    expect(window.options.show).toBe(false);
  });
});
