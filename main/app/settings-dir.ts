/**
 * Where Loupe keeps its own settings (recent workspaces, a stable browser-mode address): one folder
 * per user, outside every workspace, as each platform expects. LOUPE_SETTINGS_DIR overrides it
 * (tests, portable installs).
 */
import os from 'node:os';
import path from 'node:path';

export const SETTINGS_DIR_ENV = 'LOUPE_SETTINGS_DIR';

export function settingsDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env[SETTINGS_DIR_ENV];
  if (override) return path.resolve(override);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Loupe');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Loupe');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'loupe');
}
