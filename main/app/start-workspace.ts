/** How the launcher hands the workspace of `loupe start --workspace` to the Electron process. */
export const WORKSPACE_ARG = '--workspace=';

/** The workspace an Electron process was started with, from its argv. */
export function workspaceFromArgv(argv: readonly string[]): string | null {
  const arg = argv.find((a) => a.startsWith(WORKSPACE_ARG));
  return arg ? arg.slice(WORKSPACE_ARG.length) : null;
}
