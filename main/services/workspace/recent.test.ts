import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settingsDir } from '../../app/settings-dir';
import { memoryLogger } from '../logger';
import { MAX_RECENT_WORKSPACES, RECENT_FILE, RecentWorkspaces } from './recent';
import { DB_FILE } from './workspace';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-recent-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A folder that looks like a workspace (its database file is there). */
function workspaceAt(name: string): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, DB_FILE), '');
  return folder;
}

describe('RecentWorkspaces', () => {
  it('lists the latest first, once each, at most the limit, in a file only its user reads', async () => {
    const settings = path.join(dir, 'settings');
    const recent = new RecentWorkspaces(settings, memoryLogger());
    const folders = Array.from({ length: MAX_RECENT_WORKSPACES + 2 }, (_, i) => workspaceAt(`ws${i}`));
    for (const [i, folder] of folders.entries()) await recent.remember(folder, new Date(Date.UTC(2026, 0, 1, 0, i)));
    await recent.remember(folders[5]!, new Date(Date.UTC(2026, 0, 2)));
    const listed = recent.list().map((w) => w.path);
    expect(listed).toHaveLength(MAX_RECENT_WORKSPACES);
    expect(listed[0]).toBe(folders[5]);
    expect(listed[1]).toBe(folders.at(-1));
    expect(new Set(listed).size).toBe(listed.length);
    expect(statSync(path.join(settings, RECENT_FILE)).mode & 0o777).toBe(0o600);
  });

  it('marks a workspace that is gone, and starts again from a damaged file', async () => {
    const settings = path.join(dir, 'settings');
    const recent = new RecentWorkspaces(settings, memoryLogger());
    const kept = workspaceAt('kept');
    await recent.remember(path.join(dir, 'moved-away'));
    await recent.remember(kept);
    expect(recent.list().map((w) => [path.basename(w.path), w.exists])).toEqual([
      ['kept', true],
      ['moved-away', false],
    ]);
    writeFileSync(path.join(settings, RECENT_FILE), '{ not json');
    expect(recent.list()).toEqual([]);
  });

  it('keeps no list where the host has no settings folder', async () => {
    const recent = new RecentWorkspaces(null, memoryLogger());
    await recent.remember(workspaceAt('a'));
    expect(recent.list()).toEqual([]);
  });
});

describe('settingsDir', () => {
  it.each([
    [{ LOUPE_SETTINGS_DIR: '/tmp/s' }, 'linux', '/tmp/s'],
    [{}, 'linux', '/home/u/.config/loupe'],
    [{ XDG_CONFIG_HOME: '/x' }, 'linux', '/x/loupe'],
    [{}, 'darwin', '/home/u/Library/Application Support/Loupe'],
  ] as const)('%j on %s → %s', (env, platform, expected) =>
    expect(settingsDir(env as NodeJS.ProcessEnv, platform, '/home/u')).toBe(expected),
  );
});
