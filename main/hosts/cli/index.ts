import { engineWorkerEntry } from '../../app/paths';
import { startNodeEngineWorkerEarly } from '../../engine/node-worker';
import { commandUsesEngine } from './early-engine';

// The engine's thread loads its modules while the CLI loads its own (imported below, not statically).
if (commandUsesEngine(process.argv)) startNodeEngineWorkerEarly(engineWorkerEntry());
// Output piped into a reader that stops early (`loupe gallery list | head`) ends the command quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('./cli');
process.exitCode = await main(process.argv);
