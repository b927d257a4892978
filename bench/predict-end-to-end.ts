/**
 * `loupe predict` as a user runs it, for the prediction benchmark: wall time and the peak resident
 * memory of its process tree, sampled from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** How often the process tree's memory is sampled during `loupe predict`. */
const RSS_SAMPLE_MS = 200;
const PAGE_BYTES = 4096;

/** Resident bytes of `pid` and every process below it (the CLI, and any engine process it starts). */
function treeRss(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while listed.
    }
  }
  let bytes = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      bytes += Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1]) * PAGE_BYTES;
    } catch {
      // Ended.
    }
    stack.push(...(children.get(p) ?? []));
  }
  return bytes;
}

/** `loupe predict --model DIR --in FOLDER --out OUT` as a user runs it: wall time and peak RSS of its process tree. */
export function endToEnd(
  cli: string,
  modelDir: string,
  folder: string,
  out: string,
): Promise<{ ms: number; peakRss: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'predict', '--model', modelDir, '--in', folder, '--out', out], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let peakRss = 0;
    const timer = setInterval(() => (peakRss = Math.max(peakRss, treeRss(child.pid!))), RSS_SAMPLE_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ ms: performance.now() - started, peakRss, code, stderr });
    });
  });
}
