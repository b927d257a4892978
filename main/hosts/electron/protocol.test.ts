/**
 * The app:// handler the Electron window loads the UI through: every file it serves carries the
 * strict CSP (no unsafe-eval, no inline script), and nothing outside the built UI is reachable.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveAppRequest } from './protocol';

let root: string;
let ui: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loupe-protocol-'));
  ui = path.join(root, 'renderer');
  mkdirSync(path.join(ui, 'assets'), { recursive: true });
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>Loupe</title>');
  writeFileSync(path.join(ui, 'assets', 'app.js'), 'export {};');
  writeFileSync(path.join(root, 'secret.txt'), 'outside the UI');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('app:// protocol', () => {
  it('serves the UI with the strict Content-Security-Policy on every file', async () => {
    for (const url of ['app://loupe/index.html', 'app://loupe/assets/app.js']) {
      const response = await serveAppRequest(ui, url);
      expect(response.status).toBe(200);
      const csp = response.headers.get('Content-Security-Policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    }
    expect((await serveAppRequest(ui, 'app://loupe/assets/app.js')).headers.get('Content-Type')).toMatch(/javascript/);
  });

  it('answers 404 outside the built UI and for missing files', async () => {
    for (const url of [
      'app://loupe/../secret.txt',
      'app://loupe/%2e%2e/secret.txt',
      'app://loupe/assets/..%2f..%2fsecret.txt',
      'app://loupe/missing.js',
    ]) {
      const response = await serveAppRequest(ui, url);
      expect(response.status, url).toBe(404);
      expect(await response.text()).not.toContain('outside the UI');
    }
  });
});
