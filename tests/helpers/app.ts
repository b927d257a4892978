import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOUPE_BIN, REPO_ROOT } from './cli';

export interface RunningApp {
  /** The launch URL with the token, as printed. */
  launchUrl: string;
  /** The one line `loupe start` printed. */
  banner: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts Loupe exactly as `npm start -- --browser` does and waits for its one-line banner.
 * `env` is the child's whole environment (default: this process's), with a fresh settings folder
 * unless it names one.
 */
export function startApp(args: string[] = ['--browser'], env: NodeJS.ProcessEnv = process.env): Promise<RunningApp> {
  // A test's app never writes the user's own settings (recent workspaces, stable URLs); the
  // folder made for it goes when the app exits.
  const settings = env.LOUPE_SETTINGS_DIR ? null : mkdtempSync(path.join(os.tmpdir(), 'loupe-settings-'));
  const child = spawn(process.execPath, [LOUPE_BIN, 'start', '--no-open', ...args], {
    cwd: REPO_ROOT,
    env: settings === null ? env : { ...env, LOUPE_SETTINGS_DIR: settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (settings !== null) child.once('exit', () => rmSync(settings, { recursive: true, force: true }));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`loupe start printed no URL in time:\n${output}`)), 60_000);
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /open (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        launchUrl: match[1]!,
        banner: output.split('\n')[0]!,
        process: child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`loupe start exited with ${code}:\n${output}`));
    });
  });
}
