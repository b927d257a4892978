/**
 * Which command lines need the engine, so that the CLI can start the engine's thread before it
 * loads its own modules (node-worker.ts): a command that never calls the engine must not pay for
 * starting one.
 */

/** Top-level commands that call the engine (predict also with an exported bundle: it runs in the engine). */
const ENGINE_COMMANDS = new Set(['predict', 'train', 'eval', 'explain', 'export', 'feature-maps', 'engine']);

/** Whether `argv` (process.argv) runs a command that calls the engine; never for help or the version. */
export function commandUsesEngine(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  if (args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V')) return false;
  const command = args.find((a) => !a.startsWith('-'));
  return command !== undefined && ENGINE_COMMANDS.has(command);
}
