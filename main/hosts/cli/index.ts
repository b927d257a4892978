import { engineWorkerEntry } from '../../app/paths';
import { startNodeEngineWorkerEarly } from '../../engine/node-worker';
import { commandUsesEngine } from './early-engine';

// The engine's thread loads its modules while the CLI loads its own (imported below, not statically).
if (commandUsesEngine(process.argv)) startNodeEngineWorkerEarly(engineWorkerEntry());
const { main } = await import('./cli');
process.exitCode = await main(process.argv);
