/**
 * `npm run bench:train`: training and inference images/s of the reference CNN (32×32×3) and
 * U-Net (128×128×1, depth 3, base 16), and training of Loupe's default classifier (the small CNN
 * with batch norm, 64×64×1), on every CPU configuration that loads here, beside the
 * same architectures in PyTorch measured in the same run, printed as ratios.
 *
 *   npm run bench:train -- [--steps 5] [--cnn-batch 64] [--unet-batch 8] [--bn-cnn-batch 32] [--skip-cpu] [--cpu-unet]
 *                          [--only onednn-1,onednn-all,loupe-1,loupe-2,stock-wasm,stock-cpu,webgpu,webgpu-tape] [--busy N]
 *                          [--threads N] [--json]
 *
 * Each configuration runs in its own process, whose peak resident memory (all four workloads) is
 * the last column. Rates are from the median step; the machine's
 * other load moves them, which is why PyTorch is measured in the same run and ratios are shown.
 * PyTorch is `/usr/bin/python3`, or the interpreter LOUPE_TORCH_PYTHON names; where it has CUDA
 * and the WebGPU row runs, PyTorch on that GPU is measured too.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fallbackCount } from '../ml/backends/onednn/coverage';
import { measureCase, type CaseName, type Measurement, type Plan } from './train-cases';
import { printWebGpu, type Row } from './train-webgpu';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** `--threads N`: the thread count of the "all cores" row (oneDNN's and its PyTorch peer's); every core by default. */
const allThreads = option('--threads', os.availableParallelism());

const CASES: { name: CaseName; label: string; peer: string }[] = [
  { name: 'onednn-1', label: 'oneDNN, 1 thread', peer: 'torch-1' },
  {
    name: 'onednn-all',
    label: `oneDNN, ${allThreads} thread${allThreads > 1 ? 's' : ''}`,
    peer: `torch-${allThreads}`,
  },
  { name: 'loupe-1', label: 'wasm + Loupe kernels, 1 thread', peer: 'torch-1' },
  { name: 'loupe-2', label: 'wasm + Loupe kernels, 2 threads', peer: 'torch-2' },
  { name: 'stock-wasm', label: 'stock tfjs wasm', peer: 'torch-1' },
  { name: 'stock-cpu', label: 'stock tfjs cpu (1 step, batch 4 / 1)', peer: 'torch-1' },
  { name: 'webgpu', label: 'WebGPU', peer: 'torch-cuda' },
  { name: 'webgpu-tape', label: 'WebGPU, no replay', peer: 'torch-cuda' },
];

/** The rows on the CPU, for "WebGPU against Loupe's best CPU row". */
const CPU_CASES: CaseName[] = ['onednn-1', 'onednn-all', 'loupe-1', 'loupe-2', 'stock-wasm', 'stock-cpu'];

const plan: Plan = {
  cnnBatch: option('--cnn-batch', 64),
  unetBatch: option('--unet-batch', 8),
  bnCnnBatch: option('--bn-cnn-batch', 32),
  steps: option('--steps', 5),
  allThreads,
  cpuUNet: process.argv.includes('--cpu-unet'),
};
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : null;
const torchPython = process.env.LOUPE_TORCH_PYTHON ?? '/usr/bin/python3';
/** `--busy N`: N other programs that each hold a core (busy loops) while every row is measured. */
const busy = option('--busy', 0);

/** Starts the busy loops; the function returned stops them. */
function startBusyLoops(count: number): () => void {
  const loops = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
  return () => loops.forEach((loop) => loop.kill('SIGKILL'));
}

function runChild(name: CaseName): Measurement {
  const args = [
    process.argv[1]!,
    '--case',
    name,
    '--steps',
    String(plan.steps),
    '--cnn-batch',
    String(plan.cnnBatch),
    '--unet-batch',
    String(plan.unetBatch),
    '--bn-cnn-batch',
    String(plan.bnCnnBatch),
    '--threads',
    String(plan.allThreads),
  ];
  if (plan.cpuUNet) args.push('--cpu-unet');
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Measurement;
  } catch {
    const reason = (
      child.stderr
        .trim()
        .split('\n')
        .find((l) => /Error/.test(l)) ?? `exit code ${child.status}`
    ).slice(0, 80);
    return { cnnTrain: reason, cnnInfer: reason, bnCnnTrain: reason, unetTrain: reason, unetInfer: reason };
  }
}

function runTorch(threads: number, device: 'cpu' | 'cuda' = 'cpu'): Measurement & { torch?: string; device?: string } {
  const script = path.join(process.cwd(), 'bench', 'train_torch.py');
  const args = [
    script,
    '--threads',
    String(threads),
    '--steps',
    String(plan.steps),
    '--cnn-batch',
    String(plan.cnnBatch),
    '--unet-batch',
    String(plan.unetBatch),
    '--bn-cnn-batch',
    String(plan.bnCnnBatch),
    '--device',
    device,
  ];
  const child = spawnSync(torchPython, args, { encoding: 'utf8' });
  if (child.status !== 0) {
    const reason =
      `PyTorch unavailable: ${(child.stderr || child.error?.message || '').trim().split('\n').pop()}`.slice(0, 80);
    return { cnnTrain: reason, cnnInfer: reason, bnCnnTrain: reason, unetTrain: reason, unetInfer: reason };
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Measurement & { torch?: string; device?: string };
}

async function main(): Promise<void> {
  const skipCpu = process.argv.includes('--skip-cpu');
  const loadBefore = os.loadavg()[0]!;
  const rows: Row[] = [];
  const peers: Record<string, Measurement> = {};
  const stopBusyLoops = startBusyLoops(busy);
  try {
    measureRows(skipCpu, rows, peers);
  } finally {
    stopBusyLoops();
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ plan, busy, rows }, null, 2));
    return;
  }
  printTable(rows, peers);
  printCoverage(rows);
  const cpuRows = rows.filter((row) => CASES.some((c) => CPU_CASES.includes(c.name) && row.label.startsWith(c.label)));
  printWebGpu(rows, cpuRows);
  // Other processes on the machine slow every row, two-thread rows most: say how busy it was.
  console.log(
    `\n${os.availableParallelism()} cores${busy > 0 ? `, ${busy} busy loop${busy > 1 ? 's' : ''} beside every row` : ''}; 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after.`,
  );
}

/** PyTorch's rows, then each configuration's, each in a process of its own. */
function measureRows(skipCpu: boolean, rows: Row[], peers: Record<string, Measurement>): void {
  // One thread, two (the wasm path's data-parallel rows) and every core (oneDNN's all-core row).
  for (const threads of [...new Set([1, 2, allThreads])]) {
    process.stderr.write(`measuring PyTorch, ${threads} thread(s)…\n`);
    const m = runTorch(threads);
    peers[`torch-${threads}`] = m;
    rows.push({
      label: `PyTorch ${m.torch ?? ''}, ${threads} thread${threads > 1 ? 's' : ''}`,
      peer: `torch-${threads}`,
      m,
    });
  }
  const cases = CASES.filter((c) => !(skipCpu && c.name === 'stock-cpu') && (!only || only.includes(c.name)));
  if (cases.some((c) => c.name === 'webgpu')) {
    process.stderr.write('measuring PyTorch on CUDA, if it has a GPU…\n');
    const m = runTorch(1, 'cuda');
    peers['torch-cuda'] = m;
    if (typeof m.cnnTrain === 'number')
      rows.push({ label: `PyTorch ${m.torch ?? ''}, CUDA (${m.device})`, peer: 'torch-cuda', m });
  }
  for (const c of cases) {
    process.stderr.write(`measuring ${c.label}…\n`);
    const m = runChild(c.name);
    rows.push({ label: m.adapter ? `${c.label}: ${m.adapter}` : c.label, peer: c.peer, m });
  }
}

const COLUMNS: { key: keyof Measurement; title: string }[] = [
  { key: 'cnnTrain', title: 'CNN train' },
  { key: 'cnnInfer', title: 'CNN infer' },
  { key: 'bnCnnTrain', title: 'BN CNN train' },
  { key: 'unetTrain', title: 'U-Net train' },
  { key: 'unetInfer', title: 'U-Net infer' },
];

function cell(value: unknown, peer: unknown, isPeer: boolean): string {
  if (typeof value !== 'number') return String(value).slice(0, 26);
  const n = value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(3);
  if (isPeer || typeof peer !== 'number') return n;
  return `${n} (${(value / peer).toFixed(value / peer < 0.01 ? 4 : 2)}×)`;
}

/** The fallbacks: kernel calls of one training step of each reference model that computed on wasm. */
function printCoverage(rows: Row[]): void {
  const coverage = rows.flatMap((row) => row.m.coverage ?? []);
  if (coverage.length) console.log("\nOne training step of each reference model (the engine's step, small inputs):");
  for (const c of coverage) {
    const fallbacks = Object.entries(c.fallbacks).sort((a, b) => b[1] - a[1]);
    console.log(
      `  ${c.model.padEnd(12)} ${String(c.native).padStart(5)} kernel calls on oneDNN, ${String(c.views).padStart(5)} views, ` +
        `${fallbackCount(c)} fallbacks to wasm` +
        (fallbacks.length ? `: ${fallbacks.map(([name, n]) => `${name} ×${n}`).join(', ')}` : ''),
    );
  }
}

function printTable(rows: Row[], peers: Record<string, Measurement>): void {
  const width = 28;
  const labelWidth = Math.max(...rows.map((r) => r.label.length)) + 2;
  console.log(
    `\nimages/s (ratio to PyTorch with as many threads) — CNN batch ${plan.cnnBatch}, U-Net batch ${plan.unetBatch}, median of ${plan.steps} steps\n`,
  );
  console.log(''.padEnd(labelWidth) + COLUMNS.map((c) => c.title.padEnd(width)).join('') + 'peak RSS');
  for (const row of rows) {
    const isPeer = row.label.startsWith('PyTorch');
    const peer: Partial<Measurement> = peers[row.peer] ?? {};
    const rss = row.m.peakRssMiB === undefined ? '' : `${(row.m.peakRssMiB / 1024).toFixed(2)} GiB`;
    console.log(
      row.label.padEnd(labelWidth) +
        COLUMNS.map((c) => cell(row.m[c.key], peer[c.key], isPeer).padEnd(width)).join('') +
        rss,
    );
  }
  const paired = rows.find((r) => r.label.includes('Loupe kernels, 2'))?.m.paired;
  if (paired) {
    console.log('\nTwo threads vs one, measured step by step in alternation (training images/s):');
    for (const p of paired) {
      console.log(
        `  ${p.model.padEnd(5)} batch ${String(p.batch).padStart(3)}: 1 thread ${p.one.toFixed(1).padStart(6)}, 2 threads ${p.two.toFixed(1).padStart(6)} → ${(p.two / p.one).toFixed(2)}×`,
      );
    }
  }
}

// Last, so that everything above is initialised: a child measures one case, the parent all.
const childCase = process.argv.indexOf('--case');

if (childCase > 0) {
  const result = await measureCase(process.argv[childCase + 1] as CaseName, plan).catch((error: unknown) => {
    // A backend that cannot start here (no GPU, no addon): its reason fills the row.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80);
    return { cnnTrain: reason, cnnInfer: reason, bnCnnTrain: reason, unetTrain: reason, unetInfer: reason };
  });
  // maxRSS is in KiB.
  console.log(JSON.stringify({ ...result, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
} else {
  await main();
}
