/**
 * `npm run bench:train`: training and inference images/s of the reference CNN (32×32×3) and
 * U-Net (128×128×1, depth 3, base 16) on every CPU configuration that loads here, beside the
 * same architectures in PyTorch measured in the same run, printed as ratios.
 *
 *   npm run bench:train -- [--steps 5] [--cnn-batch 64] [--unet-batch 8] [--skip-cpu] [--cpu-unet]
 *                          [--only onednn-1|onednn-all|loupe-1|loupe-2|stock-wasm|stock-cpu] [--json]
 *
 * Each configuration runs in its own process. Rates are from the median step; the machine's
 * other load moves them, which is why PyTorch is measured in the same run and ratios are shown.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fallbackCount } from '../ml/backends/onednn/coverage';
import { measureCase, type CaseName, type Measurement, type Plan } from './train-cases';

interface Row {
  label: string;
  peer: string;
  m: Measurement;
}

const CASES: { name: CaseName; label: string; peer: string }[] = [
  { name: 'onednn-1', label: 'oneDNN + wasm, 1 thread', peer: 'torch-1' },
  {
    name: 'onednn-all',
    label: `oneDNN + wasm, ${os.availableParallelism()} threads`,
    peer: `torch-${os.availableParallelism()}`,
  },
  { name: 'loupe-1', label: 'wasm + Loupe kernels, 1 thread', peer: 'torch-1' },
  { name: 'loupe-2', label: 'wasm + Loupe kernels, 2 threads', peer: 'torch-2' },
  { name: 'stock-wasm', label: 'stock tfjs wasm', peer: 'torch-1' },
  { name: 'stock-cpu', label: 'stock tfjs cpu (1 step, batch 4 / 1)', peer: 'torch-1' },
];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const plan: Plan = {
  cnnBatch: option('--cnn-batch', 64),
  unetBatch: option('--unet-batch', 8),
  steps: option('--steps', 5),
  cpuUNet: process.argv.includes('--cpu-unet'),
};
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;

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
    return { cnnTrain: reason, cnnInfer: reason, unetTrain: reason, unetInfer: reason };
  }
}

function runTorch(threads: number): Measurement & { torch?: string } {
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
  ];
  const child = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (child.status !== 0) {
    const reason =
      `PyTorch unavailable: ${(child.stderr || child.error?.message || '').trim().split('\n').pop()}`.slice(0, 80);
    return { cnnTrain: reason, cnnInfer: reason, unetTrain: reason, unetInfer: reason };
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Measurement & { torch?: string };
}

async function main(): Promise<void> {
  const skipCpu = process.argv.includes('--skip-cpu');
  const loadBefore = os.loadavg()[0]!;
  const rows: Row[] = [];
  const peers: Record<string, Measurement> = {};
  for (const threads of [1, 2]) {
    process.stderr.write(`measuring PyTorch, ${threads} thread(s)…\n`);
    const m = runTorch(threads);
    peers[`torch-${threads}`] = m;
    rows.push({
      label: `PyTorch ${m.torch ?? ''}, ${threads} thread${threads > 1 ? 's' : ''}`,
      peer: `torch-${threads}`,
      m,
    });
  }
  for (const c of CASES) {
    if ((skipCpu && c.name === 'stock-cpu') || (only && c.name !== only)) continue;
    process.stderr.write(`measuring ${c.label}…\n`);
    rows.push({ label: c.label, peer: c.peer, m: runChild(c.name) });
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ plan, rows }, null, 2));
    return;
  }
  printTable(rows, peers);
  printCoverage(rows);
  // Other processes on the machine slow every row, two-thread rows most: say how busy it was.
  console.log(
    `\n${os.availableParallelism()} cores; 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after.`,
  );
}

const COLUMNS: { key: keyof Measurement; title: string }[] = [
  { key: 'cnnTrain', title: 'CNN train' },
  { key: 'cnnInfer', title: 'CNN infer' },
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
  console.log(''.padEnd(labelWidth) + COLUMNS.map((c) => c.title.padEnd(width)).join(''));
  for (const row of rows) {
    const isPeer = row.label.startsWith('PyTorch');
    const peer = peers[row.peer]!;
    console.log(
      row.label.padEnd(labelWidth) + COLUMNS.map((c) => cell(row.m[c.key], peer[c.key], isPeer).padEnd(width)).join(''),
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
  const result = await measureCase(process.argv[childCase + 1] as CaseName, plan);
  console.log(JSON.stringify(result));
} else {
  await main();
}
