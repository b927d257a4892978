/**
 * Finding Electron's binary. The electron package downloads it on first start; where that
 * cannot happen (an air-gapped site, CI), Loupe runs in browser mode instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const ELECTRON_NOT_INSTALLED = 'the electron package is not installed';

export type ElectronLookup = { found: true; binary: string } | { found: false; reason: string };

/** Longest wait for Electron's first-start download before falling back to browser mode. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

function electronPackageDir(fromDir: string): string | null {
  try {
    return path.dirname(createRequire(path.join(fromDir, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

export function findElectronBinary(appRoot: string): ElectronLookup {
  const dir = electronPackageDir(appRoot);
  if (!dir) return { found: false, reason: ELECTRON_NOT_INSTALLED };
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { found: false, reason: "Electron's binary is not downloaded" };
  const binary = path.join(
    process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(dir, 'dist'),
    readFileSync(pathFile, 'utf8').trim(),
  );
  if (!existsSync(binary)) return { found: false, reason: `Electron's binary is missing (${binary})` };
  return { found: true, binary };
}

/** Runs the electron package's own installer once; true when the binary is then present. */
export function downloadElectron(appRoot: string): boolean {
  const dir = electronPackageDir(appRoot);
  if (!dir) return false;
  const installer = path.join(dir, 'install.js');
  if (!existsSync(installer)) return false;
  const result = spawnSync(process.execPath, [installer], { stdio: 'ignore', timeout: DOWNLOAD_TIMEOUT_MS });
  return result.status === 0 && findElectronBinary(appRoot).found;
}

/** Electron needs a display server on Linux; without one a window cannot open. */
export function hasDisplay(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
