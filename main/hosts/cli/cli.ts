/**
 * `loupe …`: the headless host. Each subcommand calls the services through CliContext. Errors
 * are one line on stderr and a non-zero exit code; stack traces only with --debug.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isLoupeError } from '../../../contract/index';
import { appVersion } from '../../app/paths';
import { start } from '../launcher/start';
import { CliContext } from './context';
import { registerDemoCommand } from './demo-command';
import { registerEngineCommands } from './engine-commands';
import { registerExplainCommands } from './explain-commands';
import { registerFeatureMapsCommand } from './feature-maps-command';
import { registerGalleryCommands } from './gallery-commands';
import { registerEvalCommand } from './eval-command';
import { registerExportCommands } from './export-commands';
import { registerImagingCommands } from './imaging-commands';
import { registerLabelsCommands } from './labels-commands';
import { registerReviewCommands } from './review-commands';
import { registerPredictCommands } from './predict-commands';
import { registerTrainingCommands } from './training-commands';
import { checkNamedRecords, listValidNamesOnUsageErrors } from './usage';

/** Exit codes: 1 the work failed, 2 the command line or input was wrong (usage.ts lists the valid names). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535.');
  return port;
}

export function buildProgram(context: () => CliContext): Command {
  const program = new Command('loupe')
    .description('Loupe: offline workbench for medical and industrial image analysis.')
    .version(appVersion(), '-V, --version')
    .option('--debug', 'print stack traces and internal logs')
    .showHelpAfterError('(run loupe --help for usage)')
    .exitOverride();

  program
    .command('start')
    .description('Open the app: the desktop window, or browser mode where Electron cannot run.')
    .option('--browser', 'serve the UI to your browser instead of opening a window')
    .option(
      '--host <address>',
      'listen on this address in browser mode (default 127.0.0.1; others expose Loupe to the network)',
    )
    .option('--port <port>', 'port for browser mode (default: a free one)', parsePort)
    .option('--no-open', 'do not open the system browser in browser mode')
    .option('--workspace <folder>', 'open this workspace at start')
    .option(
      '--stable-url',
      'browser mode: the same port and token at every start for this workspace, so an open tab reconnects after a restart (kept in the settings folder, readable by you only)',
    )
    .action(
      async (options: {
        browser?: boolean;
        host?: string;
        port?: number;
        open: boolean;
        workspace?: string;
        stableUrl?: boolean;
      }) => {
        await start({
          browser: options.browser ?? false,
          open: options.open,
          debug: program.opts<{ debug?: boolean }>().debug ?? false,
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(options.port !== undefined ? { port: options.port } : {}),
          ...(options.workspace !== undefined ? { workspace: options.workspace } : {}),
          ...(options.stableUrl ? { stableUrl: true } : {}),
        });
      },
    );

  registerEngineCommands(program, context);
  registerImagingCommands(program, context);
  registerDemoCommand(program, context);
  registerLabelsCommands(program, context);
  registerTrainingCommands(program, context);
  registerEvalCommand(program, context);
  registerReviewCommands(program, context);
  registerPredictCommands(program, context);
  registerGalleryCommands(program, context);
  registerExplainCommands(program, context);
  registerFeatureMapsCommand(program, context);
  registerExportCommands(program, context);
  listValidNamesOnUsageErrors(program);
  program.hook('preAction', (_program, action) => checkNamedRecords(action, context));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let ctx: CliContext | null = null;
  const context = (): CliContext => (ctx ??= new CliContext(debug));
  const program = buildProgram(context);
  const interrupt = (): void => ctx?.cancelAll();
  process.once('SIGINT', interrupt);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // A command that printed its own outcome (`loupe.*` codes, e.g. import with failed files) keeps its exit code.
    if (error instanceof CommanderError && error.code.startsWith('loupe.')) return error.exitCode;
    if (error instanceof CommanderError) {
      // Commander already printed help, the version or the usage error.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isLoupeError(error)) {
      console.error(`loupe: ${error.message}`);
      if (debug && error.stack) console.error(error.stack);
      return error.code === 'INVALID_REQUEST' ? EXIT_USAGE : EXIT_FAILURE;
    }
    console.error(
      `loupe: unexpected error: ${error instanceof Error ? error.message : String(error)}${debug ? '' : ' (run with --debug for details)'}`,
    );
    if (debug && error instanceof Error && error.stack) console.error(error.stack);
    return EXIT_FAILURE;
  } finally {
    process.removeListener('SIGINT', interrupt);
    const started = ctx as CliContext | null;
    if (started) await started.dispose();
  }
}
