/**
 * `loupe start --browser --stable-url`: the same port and token at every start for a workspace, so a
 * bookmarked or still-open tab reconnects after Loupe restarts. The token is still random (made
 * once, 32 bytes, like the per-start one) and kept in the settings folder readable by this user
 * only; anyone who can read that file can use Loupe while it runs, which is the trade made for a
 * URL that survives restarts (a per-start token expires with the process).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../../base/atomic-write';
import { newToken } from '../web/auth';

export const STABLE_URLS_FILE = 'browser-urls.json';
/** The key for a start without --workspace. */
export const NO_WORKSPACE_KEY = '';
const PRIVATE_FILE_MODE = 0o600;

const stableUrlSchema = z.object({ port: z.number().int().min(1).max(65535), token: z.string().min(32) });
const fileSchema = z.object({ urls: z.record(z.string(), stableUrlSchema) });
export type StableUrl = z.infer<typeof stableUrlSchema>;

function readAll(dir: string): Record<string, StableUrl> {
  try {
    return fileSchema.parse(JSON.parse(readFileSync(path.join(dir, STABLE_URLS_FILE), 'utf8'))).urls;
  } catch {
    return {};
  }
}

/** The port and token remembered for this workspace (key: its absolute path), if any. */
export function rememberedUrl(dir: string, key: string): StableUrl | null {
  return readAll(dir)[key] ?? null;
}

/** A token for a first stable start: random, as every token. */
export function stableToken(dir: string, key: string): string {
  return rememberedUrl(dir, key)?.token ?? newToken();
}

export async function rememberUrl(dir: string, key: string, url: StableUrl): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const urls = { ...readAll(dir), [key]: url };
  await writeFileAtomic(path.join(dir, STABLE_URLS_FILE), `${JSON.stringify({ urls }, null, 2)}\n`, {
    mode: PRIVATE_FILE_MODE,
  });
}
