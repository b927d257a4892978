/**
 * Where the services write what a developer needs and a user should not see (stacks, internals).
 * Hosts decide the sink: stderr for the CLI and web host, a log file for Electron.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function consoleLogger(prefix = 'loupe', debug = false): Logger {
  return {
    info: (message) => {
      if (debug) console.error(`[${prefix}] ${message}`);
    },
    warn: (message) => console.error(`[${prefix}] warning: ${message}`),
    error: (message, error) => {
      const detail = error instanceof Error ? (debug ? `\n${error.stack ?? error.message}` : `: ${error.message}`) : '';
      console.error(`[${prefix}] ${message}${detail}`);
    },
  };
}

/** For tests: keeps every line. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m, e) => lines.push(`error ${m}${e instanceof Error ? `: ${e.message}` : ''}`),
  };
}
