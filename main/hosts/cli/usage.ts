/**
 * Usage errors of every `loupe` command, in one place: an unknown command or option, a missing
 * required option, and a task or run that the workspace does not have. Each exits 2 (EXIT_USAGE)
 * with the names that would have been valid, so the next try can be right. Commander words the
 * error itself; this adds the list. Runtime failures are not usage errors and keep their codes.
 */
import path from 'node:path';
import { CommanderError, type Command } from 'commander';
import { isLoupeError } from '../../../contract/index';
import type { CliContext } from './context';

/** Exit code of a command line that was wrong (as cli.ts's EXIT_USAGE; here to avoid an import cycle). */
const EXIT_USAGE = 2;

/** Commander's codes for a command line it could not accept; a list of valid names follows each. */
const OPTION_ERRORS = new Set([
  'commander.unknownOption',
  'commander.missingMandatoryOptionValue',
  'commander.optionMissingArgument',
  'commander.excessArguments',
  'commander.missingArgument',
]);

/** The full name of a command, as typed: `loupe labels export`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The names valid where `command` stopped: its subcommands, or its options (required ones marked). */
export function validNames(command: Command, code: string): string | null {
  if (code === 'commander.unknownCommand')
    return `${pathOf(command)} commands: ${command.commands.map((c) => c.name()).join(', ')}`;
  if (!OPTION_ERRORS.has(code)) return null;
  const options = command.options
    .filter((o) => !o.hidden)
    .map((o) => `${o.long ?? o.short}${o.mandatory ? ' (required)' : ''}`);
  return `${pathOf(command)} options: ${options.length ? options.join(', ') : 'none'}`;
}

/** Makes every command print the valid names after commander's usage error, then fail as before. */
export function listValidNamesOnUsageErrors(program: Command): void {
  const visit = (command: Command): void => {
    command.exitOverride((error: CommanderError) => {
      const names = error.exitCode === 0 ? null : validNames(command, error.code);
      if (names) console.error(names);
      throw error;
    });
    command.commands.forEach(visit);
  };
  visit(program);
}

function usageError(message: string): never {
  console.error(`loupe: ${message}`);
  throw new CommanderError(EXIT_USAGE, 'loupe.usage', message);
}

/** Options that name a run that must exist in --workspace, per command path. */
const RUN_OPTIONS: Record<string, 'run' | 'resume'> = {
  'loupe train': 'resume',
  'loupe eval': 'run',
  'loupe export': 'run',
  'loupe predict': 'run',
  'loupe gallery enrol': 'run',
  'loupe gallery list': 'run',
  'loupe gallery remove': 'run',
};
/** Commands whose --task may name a task that does not exist yet (it is made). */
const TASK_MADE_IF_MISSING = new Set(['loupe labels import']);

/**
 * Before an action: a --task or run the workspace does not have is a usage error that lists the
 * workspace's tasks or runs. A workspace that cannot be opened is left to the action, which
 * reports it as it always has.
 */
export async function checkNamedRecords(action: Command, context: () => CliContext): Promise<void> {
  const options = action.opts<{ workspace?: string; task?: string; run?: string; resume?: string }>();
  const where = pathOf(action);
  const runOption = RUN_OPTIONS[where];
  const run = runOption ? options[runOption] : undefined;
  const task = TASK_MADE_IF_MISSING.has(where) ? undefined : options.task;
  if (options.workspace === undefined || (run === undefined && task === undefined)) return;
  const cli = context();
  try {
    await cli.invoke('workspace.open', { path: path.resolve(options.workspace), create: false });
  } catch (error) {
    if (isLoupeError(error)) return;
    throw error;
  }
  if (task !== undefined) {
    const { tasks } = await cli.invoke('labels.tasks', {});
    const known = tasks.some((t) => t.name.toLowerCase() === task.toLowerCase() || String(t.id) === task);
    if (!known)
      usageError(
        `there is no task "${task}" in this workspace; its tasks are: ${tasks.map((t) => t.name).join(', ') || 'none yet'}.`,
      );
  }
  if (run !== undefined) {
    const { runs } = await cli.invoke('training.runs', {});
    if (!runs.some((r) => r.runId === run))
      usageError(
        `there is no run "${run}" in this workspace (a run id looks like run-20250101-093000-1a2b); its runs are: ${runs.map((r) => r.runId).join(', ') || 'none yet'}.`,
      );
  }
}
