/**
 * `--shard I/N`: which files one of N machines predicts. The split hashes each file's path relative
 * to its input folder, so it does not depend on where the share is mounted, on the order files are
 * found, or on which other files exist; every file falls in exactly one shard.
 */
import { createHash } from 'node:crypto';
import { LoupeError } from '../../../contract/index';

export interface Shard {
  index: number;
  count: number;
}

/** Most shards: far beyond any job system's array, and it keeps the modulo unbiased enough. */
export const MAX_SHARDS = 65_536;

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new LoupeError(
      'INVALID_REQUEST',
      `--shard is I/N with 0 ≤ I < N ≤ ${MAX_SHARDS} (for example 0/4 for the first of four); got "${text}".`,
    );
  }
  return { index, count };
}

export function shardOf(relative: string, count: number): number {
  const digest = createHash('sha256').update(relative).digest();
  return digest.readUInt32BE(0) % count;
}

export function inShard(relative: string, shard: Shard | null): boolean {
  return shard === null || shardOf(relative, shard.count) === shard.index;
}
