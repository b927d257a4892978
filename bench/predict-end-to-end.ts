/**
 * `loupe predict` as a user runs it, for the prediction benchmark: wall time and the peak resident
 * memory of its process tree, sampled from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { median } from './stats';

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

/** What `pipelineRounds` measured: medians over its rounds, images/s and ratios. */
export interface PipelineMeasure {
  decodeOnly: number;
  endToEnd: number;
  /** The folder's run less a one-file run's time: the rate once the CLI, the engine and the model are up. */
  afterStart: number;
  startupSeconds: number;
  /** Median of each round's own ratio: end-to-end / decode-only, and after start / decode-only. */
  ratio: number;
  afterStartRatio: number;
  peakRss: number;
  code: number | null;
}

/**
 * Decode-only (`decode`: the decode pool over the folder, giving its frames and time), a one-file
 * `loupe predict` and `loupe predict` over the folder, one right after the other, `rounds` times.
 * On this shared 2-core machine one decode-only pass read 2,314 images/s and the next run's 3,510
 * ten minutes later: a ratio of passes taken minutes apart said more about the load than about
 * Loupe. Passes run back to back see the same load, and the median round leaves out the worst.
 */
export async function pipelineRounds(
  decode: () => Promise<{ frames: number; ms: number }>,
  run: { cli: string; modelDir: string; folder: string; oneFileFolder: string; out: string },
  rounds: number,
): Promise<PipelineMeasure> {
  const seen: { decodeOnly: number; endToEnd: number; afterStart: number; startupMs: number }[] = [];
  let peakRss = 0;
  let code: number | null = 0;
  for (let r = 0; r < rounds; r++) {
    const decoded = await decode();
    const start = await endToEnd(run.cli, run.modelDir, run.oneFileFolder, `${run.out}-one-${r}`);
    const whole = await endToEnd(run.cli, run.modelDir, run.folder, `${run.out}-${r}`);
    peakRss = Math.max(peakRss, whole.peakRss);
    if (whole.code !== 0) code = whole.code;
    seen.push({
      decodeOnly: (decoded.frames * 1000) / decoded.ms,
      endToEnd: (decoded.frames * 1000) / whole.ms,
      afterStart: (decoded.frames * 1000) / Math.max(1, whole.ms - start.ms),
      startupMs: start.ms,
    });
  }
  const of = (pick: (s: (typeof seen)[number]) => number): number => median(seen.map(pick));
  return {
    decodeOnly: of((s) => s.decodeOnly),
    endToEnd: of((s) => s.endToEnd),
    afterStart: of((s) => s.afterStart),
    startupSeconds: of((s) => s.startupMs) / 1000,
    ratio: of((s) => s.endToEnd / s.decodeOnly),
    afterStartRatio: of((s) => s.afterStart / s.decodeOnly),
    peakRss,
    code,
  };
}
