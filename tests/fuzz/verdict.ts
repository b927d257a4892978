/**
 * What counts as a finding. A file may import or be refused; a refusal must name its reason in
 * words a user can act on. A crash, an internal error, a hang, a memory blow-up, a message that
 * leaks the program's internals, or a refused label file that changed the workspace is a finding.
 */
import type { ImportOutcome } from '../../contract/channels/imaging';

export type FindingKind = 'internal' | 'crash' | 'hang' | 'memory' | 'unclear-message' | 'workspace-changed';
export type Verdict =
  | { outcome: 'imported' }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'finding'; kind: FindingKind; message: string };

/** Shortest message that can say what was wrong with a file. */
const MIN_MESSAGE_LENGTH = 15;

/**
 * Program internals that must never reach a user: JavaScript error names and their stock
 * phrases, parser function names, raw `undefined`/`NaN`, a bare offset at the end of a message.
 */
const INTERNALS =
  /\b(TypeError|RangeError|ReferenceError|SyntaxError: Unexpected end|InternalError)\b|Cannot read propert|reading '|is not a function|is not iterable|maxPosition|dicomParser|\bundefined\b|\bNaN\b|\[object Object\]/;

/** How a size refusal names its bound: a limit in megapixels or bytes, or an image without pixels. */
const LIMIT_STATED = /limit|megapixels|[KMG]iB|no pixels|cannot be shown/;

/** Words that are internals when Loupe writes them but may be a user's own value ("class NaN" for a field NaN). */
const AMBIGUOUS_WORDS = ['NaN', 'undefined'];

/** `input`: the text of the refused file, whose words a message may quote without quotes. */
export function unclearMessage(message: string, input = ''): boolean {
  // Quoted text is the user's own (a field, a file name) and may say anything.
  let own = message.replace(/"[^"]*"/g, '""');
  for (const word of AMBIGUOUS_WORDS) if (input.includes(word)) own = own.replaceAll(word, '');
  return message.trim().length < MIN_MESSAGE_LENGTH || INTERNALS.test(own);
}

/** One image file's outcome in an import report. */
export function imageVerdict(outcome: ImportOutcome): Verdict {
  if (outcome.status === 'imported' || outcome.status === 'duplicate') return { outcome: 'imported' };
  const message = outcome.message ?? '';
  const failure = outcome.failure ?? 'none';
  if (failure === 'timeout') return { outcome: 'finding', kind: 'hang', message };
  if (failure === 'internal' || failure === 'unreadable')
    return { outcome: 'finding', kind: /stopped unexpectedly/.test(message) ? 'crash' : 'internal', message };
  // The worker's V8 heap cap caught it: bounded, but a small file must be refused by a named limit first.
  if (/working memory/.test(message)) return { outcome: 'finding', kind: 'memory', message };
  if (unclearMessage(message)) return { outcome: 'finding', kind: 'unclear-message', message };
  // A size refusal says which limit it met (or that there are no pixels at all), so the user knows what to change.
  if (failure === 'too-large' && !LIMIT_STATED.test(message))
    return { outcome: 'finding', kind: 'unclear-message', message };
  return { outcome: 'refused', reason: failure };
}

/** A label import's reply: error codes that mean "Loupe has a bug" are findings. */
export function labelVerdict(
  reply: { ok: true } | { ok: false; code: string; message: string },
  input: string,
): Verdict {
  if (reply.ok) return { outcome: 'imported' };
  if (reply.code === 'INTERNAL' || reply.code === 'INVALID_REPLY')
    return { outcome: 'finding', kind: 'internal', message: reply.message };
  if (unclearMessage(reply.message, input))
    return { outcome: 'finding', kind: 'unclear-message', message: reply.message };
  return { outcome: 'refused', reason: reply.code };
}
