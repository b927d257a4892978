/**
 * How the demo's folders are written: whole or not at all (under a temporary name beside the
 * target, renamed once complete, so a cancel, a full disk or a crash leaves no half dataset under
 * the target's name), with a few PNG encodes in flight, each file's pixels drawn in file order.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoupeError } from '../../../contract/index';

/** PNG encodes in flight at once (sharp runs them on libuv's pool). */
const ENCODES_IN_FLIGHT = 8;

/**
 * Fills a temporary folder beside `out` (absent or empty) with `fill`, then renames it to `out`.
 * On any failure the temporary folder is removed and a LoupeError says what happened: CANCELLED
 * after `signal` aborts, IO_ERROR otherwise ("the disk is full" where it is). `what` names the
 * data in those messages ("the demo data").
 */
export async function writeWhole(
  out: string,
  what: string,
  signal: AbortSignal,
  fill: (temp: string) => Promise<void>,
): Promise<void> {
  const existing = await fs.readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new LoupeError('IO_ERROR', `Cannot read ${out}: ${error.message}.`, { cause: error });
  });
  if (existing && existing.length > 0)
    throw new LoupeError('CONFLICT', `${out} is not empty; give a new or empty folder for ${what}.`);
  const temp = path.join(path.dirname(out), `.${path.basename(out)}.partial-${process.pid}-${Date.now()}`);
  try {
    await fs.mkdir(temp, { recursive: true });
    await fill(temp);
    if (existing) await fs.rmdir(out);
    await fs.rename(temp, out);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    if (signal.aborted) throw new LoupeError('CANCELLED', `Writing ${what} was cancelled; nothing was kept.`);
    if (error instanceof LoupeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : (error as Error).message;
    throw new LoupeError('IO_ERROR', `Cannot write ${what} into ${out}: ${why}. Nothing was kept.`, {
      cause: error,
    });
  }
}

/**
 * Runs `write` on every item, a few at a time, in item order: the part of `write` before its
 * first await (where it draws the item's pixels from the shared generator) runs for item 0, 1, 2, …
 * in turn, so the files do not depend on how the encodes interleave. Every writer ends before this
 * settles, so nothing still writes into a folder that a failure is about to remove.
 */
export async function writeInOrder<T>(
  items: readonly T[],
  write: (item: T) => Promise<void>,
  signal: AbortSignal,
  progress: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      signal.throwIfAborted();
      await write(items[next++]!);
      progress(++done);
    }
  };
  const ended = await Promise.allSettled(
    Array.from({ length: ENCODES_IN_FLIGHT }, async () => {
      try {
        await worker();
      } catch (error) {
        failed = true;
        throw error;
      }
    }),
  );
  const failure = ended.find((e) => e.status === 'rejected');
  if (failure) throw failure.reason;
}
