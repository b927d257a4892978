/**
 * How a command ends on its own terms: one line on stderr and an exit code of its own, which
 * cli.ts passes through for `loupe.*` codes (1 some files failed, 2 bad input; 130 after Ctrl+C
 * where a command says so). Shared by every command that reports bad input or partial failure
 * itself, with the model options `loupe predict` and `loupe gallery` share.
 */
import path from 'node:path';
import { CommanderError } from 'commander';
import type { RequestOf } from '../../../contract/index';

type BatchModel = RequestOf<'batch.predict'>['model'];

/** Some files failed (each reported), the rest were done. */
export const EXIT_SOME_FAILED = 1;
/** The command's input was wrong: nothing was done. */
export const EXIT_BAD_INPUT = 2;

/** The command's options name a model to predict with or build a gallery for: `--model DIR`, or `--workspace W --run RUN`. */
export function batchModelOf(o: { workspace?: string; run?: string; model?: string }): BatchModel {
  if ((o.model !== undefined) === (o.run !== undefined))
    fail('give either --model DIR, or --workspace W with --run RUN.', EXIT_BAD_INPUT, 'loupe.badInput');
  if (o.run !== undefined && o.workspace === undefined)
    fail('--run needs --workspace.', EXIT_BAD_INPUT, 'loupe.badInput');
  return o.model !== undefined ? { dir: path.resolve(o.model) } : { runId: o.run! };
}

export function fail(message: string, exitCode: number, code: string): never {
  console.error(`loupe: ${message}`);
  throw new CommanderError(exitCode, code, message);
}
