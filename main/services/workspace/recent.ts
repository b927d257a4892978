/**
 * The workspaces opened lately, most recent first, for the start screen. Kept in the settings
 * folder (not in a workspace: it lists them), written atomically, readable by this user only
 * (paths can name patients or projects).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../../base/atomic-write';
import type { Logger } from '../logger';
import { DB_FILE } from './workspace';

/** How many the start screen lists: enough for a few projects, short enough to read at a glance. */
export const MAX_RECENT_WORKSPACES = 10;
export const RECENT_FILE = 'recent-workspaces.json';
const PRIVATE_FILE_MODE = 0o600;

const recentFileSchema = z.object({
  workspaces: z.array(z.object({ path: z.string(), openedAt: z.string() })),
});

export interface RecentWorkspace {
  path: string;
  openedAt: string;
  /** The folder still holds a workspace (a moved or deleted one is listed, greyed, until opened again). */
  exists: boolean;
}

export class RecentWorkspaces {
  private writing: Promise<void> = Promise.resolve();

  /** `dir` null: a host that keeps no list (the CLI, tests). */
  constructor(
    private readonly dir: string | null,
    private readonly log: Logger,
  ) {}

  private read(): { path: string; openedAt: string }[] {
    if (!this.dir) return [];
    try {
      return recentFileSchema.parse(JSON.parse(readFileSync(path.join(this.dir, RECENT_FILE), 'utf8'))).workspaces;
    } catch {
      // Missing or damaged: the list starts again; it is a convenience, not data.
      return [];
    }
  }

  list(): RecentWorkspace[] {
    return this.read().map((w) => ({ ...w, exists: existsSync(path.join(w.path, DB_FILE)) }));
  }

  /** Puts a workspace first; writes are queued so two quick opens never interleave. */
  remember(folder: string, now = new Date()): Promise<void> {
    const dir = this.dir;
    if (!dir) return Promise.resolve();
    this.writing = this.writing.then(async () => {
      const entries = [
        { path: folder, openedAt: now.toISOString() },
        ...this.read().filter((w) => w.path !== folder),
      ].slice(0, MAX_RECENT_WORKSPACES);
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(path.join(dir, RECENT_FILE), `${JSON.stringify({ workspaces: entries }, null, 2)}\n`, {
          mode: PRIVATE_FILE_MODE,
        });
      } catch (error) {
        this.log.warn(`Could not update the recent workspaces list in ${dir}: ${(error as Error).message}`);
      }
    });
    return this.writing;
  }
}
