/** A one-line progress bar on a terminal; silent when stderr is not a terminal (pipes, CI logs). */
export function progressLine(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): {
  update(done: number, total: number, detail?: string): void;
  done(): void;
} {
  const tty = stream.isTTY === true;
  const started = Date.now();
  let drawn = false;
  return {
    update(done, total, detail = '') {
      if (!tty) return;
      const width = 24;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(fraction * width);
      const elapsed = (Date.now() - started) / 1000;
      const eta = fraction > 0 ? elapsed / fraction - elapsed : 0;
      const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${detail ? ` ${detail}` : ''} ETA ${Math.round(eta)}s`;
      stream.write(`\r${line.slice(0, (stream.columns ?? 100) - 1)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (tty && drawn) stream.write('\r\x1b[K');
    },
  };
}
