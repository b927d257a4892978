/**
 * Atomic file writes: a reader (or the app after a crash) sees the old file or the new one,
 * never half of one. Temp file in the same folder (so rename stays on one filesystem), fsync,
 * rename over the target, fsync the folder so the rename itself survives power loss.
 * Lives in ml/ because the engine writes checkpoints with it; main imports it from here.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

async function fsyncDirectory(dir: string): Promise<void> {
  // Directories cannot be opened for fsync on Windows; the rename is still atomic there.
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Files other users may read; settings holding a secret pass `mode` 0o600. */
const DEFAULT_MODE = 0o644;

export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  options: { mode?: number } = {},
): Promise<void> {
  const temp = tempPathFor(target);
  const handle = await fs.open(temp, 'wx', options.mode ?? DEFAULT_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await fs.unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.unlink(temp).catch(() => {});
    throw error;
  }
  await fsyncDirectory(path.dirname(target));
}

/** Synchronous twin for code that cannot await (shutdown paths). */
export function writeFileAtomicSync(target: string, data: Uint8Array | string): void {
  const temp = tempPathFor(target);
  const fd = openSync(temp, 'wx', DEFAULT_MODE);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // The temp file may already be gone; the original error is what matters.
    }
    throw error;
  }
  closeSync(fd);
  renameSync(temp, target);
  if (process.platform !== 'win32') {
    const dirFd = openSync(path.dirname(target), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
