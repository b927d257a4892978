import { z } from 'zod';

/** Longest path we accept from a caller; Linux's PATH_MAX. */
export const MAX_PATH_LENGTH = 4096;

/**
 * An absolute filesystem path as typed by the user. Relative paths are refused so that what a
 * call touches never depends on the host's working directory; NUL bytes are refused because
 * they truncate paths in native code.
 */
export const absolutePathSchema = z
  .string()
  .min(1, 'A path is required.')
  .max(MAX_PATH_LENGTH, 'That path is too long.')
  .refine((p) => !p.includes('\0'), 'A path cannot contain a NUL character.')
  .refine(
    (p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'),
    'Give an absolute path (starting with / or a drive letter).',
  );

/** Request ids are chosen by the caller so it can cancel; UUIDs in practice. */
export const requestIdSchema = z.string().min(1).max(100);

export const emptyRequestSchema = z.object({}).strict();
