/**
 * `loupe start --browser --workspace W [--stable-url]`: the workspace is open when the page
 * connects and heads the recent list; with --stable-url a restart serves the same port and token
 * (the old URL still works), kept in a file only its user can read. Without it, every start gets a
 * fresh token.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app';
import { caller } from '../helpers/labels';
import { realServices } from '../helpers/services';
import { connectClient } from '../helpers/ws-client';

function socketUrl(launchUrl: string): string {
  const url = new URL(launchUrl);
  return `ws://${url.host}/rpc?token=${url.searchParams.get('token')}`;
}

describe('loupe start --workspace', () => {
  let dir: string;
  let workspace: string;
  let settings: string;
  const env = () => ({ ...process.env, LOUPE_SETTINGS_DIR: settings });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-start-ws-'));
    workspace = path.join(dir, 'ws');
    settings = path.join(dir, 'settings');
    const { services, log } = realServices();
    await caller(services, log)('workspace.open', { path: workspace, create: true });
    await services.dispose();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the workspace at start, lists it as recent, and keeps a stable URL across restarts', async () => {
    const first = await startApp(['--browser', '--workspace', workspace, '--stable-url'], env());
    let firstUrl: string;
    try {
      firstUrl = first.launchUrl;
      const { client, socket } = await connectClient(socketUrl(firstUrl), {});
      expect((await client.invoke('workspace.current', {}))?.path).toBe(workspace);
      await expect
        .poll(async () => (await client.invoke('workspace.recent', {})).workspaces.map((w) => [w.path, w.exists]))
        .toEqual([[workspace, true]]);
      socket.close();
    } finally {
      await first.stop();
    }
    const file = path.join(settings, 'browser-urls.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(settings, 'recent-workspaces.json')).mode & 0o777).toBe(0o600);

    const second = await startApp(['--browser', '--workspace', workspace, '--stable-url'], env());
    try {
      expect(second.launchUrl).toBe(firstUrl);
      // A tab of the first start reconnects: the old URL's token is accepted by the new process.
      const { client, socket } = await connectClient(socketUrl(firstUrl), {});
      expect((await client.invoke('workspace.current', {}))?.path).toBe(workspace);
      socket.close();
    } finally {
      await second.stop();
    }

    // Without --stable-url the token is new at every start, and the stable one is refused.
    const third = await startApp(['--browser', '--workspace', workspace], env());
    try {
      expect(new URL(third.launchUrl).searchParams.get('token')).not.toBe(new URL(firstUrl).searchParams.get('token'));
      const stale = `ws://${new URL(third.launchUrl).host}/rpc?token=${new URL(firstUrl).searchParams.get('token')}`;
      await expect(connectClient(stale, {})).rejects.toThrow(/401/);
    } finally {
      await third.stop();
    }
  });

  it('refuses a folder that holds no workspace, saying which', async () => {
    await expect(startApp(['--browser', '--workspace', path.join(dir, 'nothing-here')], env())).rejects.toThrow(
      /could not open .*nothing-here/,
    );
  });
});
