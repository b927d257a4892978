/**
 * Folder paths as the page handles them, without Node's path module: POSIX ("/data/x") and
 * Windows ("C:\data\x", "\\server\share\x") alike, as the machine running Loupe writes them.
 */

/** The folder above `path` ("/data/x" → "/data", "C:\x" → "C:\"), or `path` itself at a root or for a bare name. */
export function parentFolder(path: string): string {
  const up = path.replace(/[\\/]+[^\\/]*[\\/]*$/, '');
  if (up === '') return path.startsWith('\\') || path.startsWith('/') ? path.slice(0, 1) : path;
  return /^[A-Za-z]:$/.test(up) ? `${up}\\` : up;
}
