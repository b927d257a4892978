/**
 * Dropped files in the two hosts. In Electron the preload maps a File to its path on disk
 * (webUtils.getPathForFile), so Loupe imports it in place. A browser never reveals paths, so
 * there the file's bytes are uploaded and kept in the workspace.
 */
declare global {
  interface Window {
    /** Provided by the Electron preload only. */
    loupeFiles?: { pathForFile(file: File): string };
  }
}

export function canImportInPlace(): boolean {
  return typeof window.loupeFiles?.pathForFile === 'function';
}

/** Paths of dropped files where the host knows them; null in browser mode. */
export function droppedPaths(files: readonly File[]): string[] | null {
  const mapper = window.loupeFiles;
  if (!mapper) return null;
  const paths = files.map((file) => mapper.pathForFile(file)).filter((p) => p.length > 0);
  return paths.length === files.length ? paths : null;
}
