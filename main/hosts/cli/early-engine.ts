/**
 * Which command lines need the engine, so that the CLI can start the engine's thread before it
 * loads its own modules (node-worker.ts): a command that never calls the engine must not pay for
 * starting one.
 */

/** Top-level commands that call the engine (predict also with an exported bundle: it runs in the engine). */
const ENGINE_COMMANDS = new Set(['predict', 'train', 'eval', 'explain', 'export', 'feature-maps', 'engine', 'gallery']);

/** Whether `argv` (process.argv) runs a command that calls the engine; never for help or the version. */
export function commandUsesEngine(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  if (args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V')) return false;
  const at = args.findIndex((a) => !a.startsWith('-'));
  const command = args[at];
  // `loupe predict merge` joins shard folders; it never calls the engine.
  if (command === 'predict' && args[at + 1] === 'merge') return false;
  return command !== undefined && ENGINE_COMMANDS.has(command);
}
