/** The one rule for task and class names, shared by the label channels and every label import. */
import { z } from 'zod';

/** Longest task or class name: long enough for "Ground-glass opacity, peripheral", short enough for a legend. */
export const MAX_LABEL_NAME = 80;

/** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: they break legends, CSV rows and file listings. */
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;
/** How much of an offending name an error message quotes. */
const QUOTED_NAME_CHARS = 40;

/** A name as an error message shows it: JSON-quoted, so control characters are visible, and cut short. */
function shown(value: unknown): string {
  const s = String(value);
  return JSON.stringify(s.length > QUOTED_NAME_CHARS ? `${s.slice(0, QUOTED_NAME_CHARS)}…` : s);
}

/**
 * The one rule for task and class names, wherever they come from (the UI, the socket, a label
 * import): trimmed, not empty, at most MAX_LABEL_NAME characters, no control characters.
 */
export const labelNameSchema = z
  .string()
  .trim()
  .min(1, { error: (issue) => `A name is required (got ${shown(issue.input)}).` })
  .max(MAX_LABEL_NAME, {
    error: (issue) =>
      `Names are at most ${MAX_LABEL_NAME} characters; ${shown(issue.input)} has ${String(issue.input).length}.`,
  })
  .refine((s) => !CONTROL_CHARACTER.test(s), {
    error: (issue) => `A name cannot contain control characters or line breaks: ${shown(issue.input)}.`,
  });

/** The name as stored (trimmed), or why it cannot be a task or class name. */
export function checkLabelName(raw: string): { name: string } | { problem: string } {
  const parsed = labelNameSchema.safeParse(raw);
  return parsed.success ? { name: parsed.data } : { problem: parsed.error.issues[0]!.message };
}
