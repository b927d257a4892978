/**
 * `loupe predict` as a user runs it, for the prediction benchmark: wall time, CPU time and the
 * peak resident memory of its process tree, sampled from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { median } from './stats';

/** How often the process tree's memory is sampled during `loupe predict`. */
const RSS_SAMPLE_MS = 200;
const PAGE_BYTES = 4096;

/** Clock ticks a second in /proc's CPU times (USER_HZ, 100 on every Linux Loupe runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time of this process's children that have ended and been waited for (/proc/self/stat's
 * cutime and cstime): taken before and after a `loupe predict`, the CPU of every thread it ran.
 */
function endedChildrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8');
  const after = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5), counted from the pid as 1; `after` starts at field 3.
  return ((Number(after[13]) + Number(after[14])) * 1000) / TICKS_PER_SECOND;
}

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

/** `loupe predict --model DIR --in FOLDER --out OUT` as a user runs it: wall and CPU time, peak RSS of its process tree. */
export function endToEnd(
  cli: string,
  modelDir: string,
  folder: string,
  out: string,
): Promise<{ ms: number; cpuMs: number; peakRss: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cpuBefore = endedChildrenCpuMs();
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
      const ms = performance.now() - started;
      // Node has waited for the child before it reports its exit: its CPU is in the count now.
      resolve({ ms, cpuMs: endedChildrenCpuMs() - cpuBefore, peakRss, code, stderr });
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
  /**
   * CPU per image (ms, every thread) of decode-only and of the folder's run after start (less the
   * one-file run's CPU), how many cores each kept busy on average, and the round's ceiling: where
   * both keep the same cores busy, after start / decode-only is decode-only's CPU per image over
   * the run's. The run's CPU includes what a long run compiles and collects that a one-file run
   * does not (its JIT warm-up): on 500 CT slices that is a visible share.
   */
  cpu: {
    decodeMsPerImage: number;
    afterStartMsPerImage: number;
    decodeCores: number;
    afterStartCores: number;
    ceiling: number;
  };
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
  decode: () => Promise<{ frames: number; ms: number; cpuMs: number }>,
  run: { cli: string; modelDir: string; folder: string; oneFileFolder: string; out: string },
  rounds: number,
): Promise<PipelineMeasure> {
  const seen: {
    decodeOnly: number;
    endToEnd: number;
    afterStart: number;
    startupMs: number;
    cpu: PipelineMeasure['cpu'];
  }[] = [];
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
      cpu: {
        decodeMsPerImage: decoded.cpuMs / decoded.frames,
        afterStartMsPerImage: (whole.cpuMs - start.cpuMs) / decoded.frames,
        decodeCores: decoded.cpuMs / decoded.ms,
        afterStartCores: (whole.cpuMs - start.cpuMs) / Math.max(1, whole.ms - start.ms),
        ceiling: decoded.cpuMs / Math.max(1, whole.cpuMs - start.cpuMs),
      },
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
    cpu: {
      decodeMsPerImage: of((s) => s.cpu.decodeMsPerImage),
      afterStartMsPerImage: of((s) => s.cpu.afterStartMsPerImage),
      decodeCores: of((s) => s.cpu.decodeCores),
      afterStartCores: of((s) => s.cpu.afterStartCores),
      ceiling: of((s) => s.cpu.ceiling),
    },
    peakRss,
    code,
  };
}
