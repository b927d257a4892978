/**
 * Expanding what the user gave (files and folders) into the files to import. Folders are walked
 * without recursion in the call stack; symlinked folders are not followed (they can loop), hidden
 * entries are skipped, and the workspace is never imported into itself: Loupe's own files there
 * (thumbnails, masks, runs, …) never, and the rest of it (a folder of the user's, such as the demo's
 * inbox) only when an input names it or a folder inside it, not when a walk from a parent meets it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface WalkOptions {
  /** Folders never entered, and files a walk never lists (Loupe's own, in the workspace). */
  exclude: readonly string[];
  /** The workspace folder: entered only from an input inside it. */
  workspace?: string;
  signal: AbortSignal;
  /** Called now and then with the number of files found so far. */
  onProgress?: (found: number) => void;
}

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

function inside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Every file to import, sorted by path. Paths that do not exist are kept, to be reported as unreadable. */
export async function listImportFiles(inputs: readonly string[], options: WalkOptions): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    files.push(file);
    if (files.length % 500 === 0) options.onProgress?.(files.length);
  };
  for (const input of inputs) {
    const start = path.resolve(input);
    const { workspace } = options;
    const skip = workspace && !inside(start, workspace) ? [...options.exclude, workspace] : options.exclude;
    const skipped = (entry: string): boolean => skip.some((ex) => inside(entry, ex));
    const stat = await fs.stat(start).catch(() => null);
    // A file named on its own is imported wherever it is: a dropped file is kept in the workspace's sources/ first.
    if (!stat?.isDirectory()) {
      add(start);
      continue;
    }
    const stack = [start];
    while (stack.length > 0) {
      if (options.signal.aborted) return files;
      const dir = stack.pop()!;
      if (skipped(dir)) continue;
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      const subfolders: string[] = [];
      for (const entry of entries) {
        if (isHidden(entry.name)) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) subfolders.push(full);
        else if (entry.isFile()) {
          if (!skipped(full)) add(full);
        } else if (entry.isSymbolicLink()) {
          const target = await fs.stat(full).catch(() => null);
          // A link to a file is imported; a broken link is reported as unreadable; a link to a folder is not followed.
          if ((!target || target.isFile()) && !skipped(full)) add(full);
        }
      }
      stack.push(...subfolders);
    }
  }
  return files.sort();
}

/** A file found by `walkFiles`, with the path relative to the input it came from. */
export interface FoundFile {
  path: string;
  /** Relative to its input folder (the file name for a file given directly), '/'-separated. */
  relative: string;
}

/**
 * The files under `inputs`, found lazily: one folder is listed at a time, so a folder of millions
 * of files is never held in memory at once. Order is deterministic (inputs in order, each folder's
 * entries sorted, depth first). Inputs that do not exist are refused before anything is yielded.
 */
export async function* walkFiles(inputs: readonly string[], signal: AbortSignal): AsyncGenerator<FoundFile> {
  for (const input of inputs) {
    const start = path.resolve(input);
    const stat = await fs.stat(start).catch(() => null);
    if (!stat) continue;
    if (!stat.isDirectory()) {
      yield { path: start, relative: path.basename(start) };
      continue;
    }
    // Depth first with an explicit stack of sorted folders still to list (last = next).
    const stack = [start];
    while (stack.length > 0) {
      if (signal.aborted) return;
      const dir = stack.pop()!;
      const entries = (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => !isHidden(e.name));
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subfolders: string[] = [];
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        let isFile = entry.isFile();
        if (entry.isDirectory()) subfolders.push(full);
        else if (entry.isSymbolicLink()) {
          const target = await fs.stat(full).catch(() => null);
          isFile = !target || target.isFile();
        }
        if (isFile) yield { path: full, relative: path.relative(start, full).split(path.sep).join('/') };
      }
      stack.push(...subfolders.reverse());
    }
  }
}
