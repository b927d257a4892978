/**
 * The prediction benchmark's measurements, one function each: the decode pool alone, Loupe's
 * engine on decoded frames, ONNX Runtime on the same frames and on the same prepared tensors,
 * the PyTorch twin on those tensors, and `loupe predict` as a user runs it, with the peak
 * resident memory of its process tree.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DecodedFrame, ModelCard } from '../contract/index';
import { BundlePredictor } from '../ml/export/bundle-predictor';
import { onnxInput } from '../ml/export/onnx-parity';
import type { EngineSupervisor } from '../main/engine/supervisor';
import type { DecodePool } from '../main/services/imaging/decode-pool';
import { walkFiles } from '../main/services/imaging/file-walk';
import { appRoot } from '../main/app/paths';
import { engineFrame, GROUP_FRAMES, READ_AHEAD_FILES } from '../main/services/batch/batch-job';

/** How often the process tree's memory is sampled during `loupe predict`. */
const RSS_SAMPLE_MS = 200;
const PAGE_BYTES = 4096;

export const rate = (count: number, ms: number): number => (count * 1000) / ms;

/**
 * Reads every file of `folder` through the decode pool with as many reads in flight as a batch
 * run keeps (READ_AHEAD_FILES); keeps the first `keep` frames for the model measurements.
 */
export async function decodeOnly(
  pool: DecodePool,
  folder: string,
  keep: number,
): Promise<{ files: number; frames: number; ms: number; kept: DecodedFrame[] }> {
  const kept: DecodedFrame[] = [];
  const inFlight = new Set<Promise<void>>();
  let files = 0;
  let frames = 0;
  const started = performance.now();
  for await (const file of walkFiles([folder], new AbortController().signal)) {
    const read: Promise<void> = pool.read(file.path).then((r) => {
      files++;
      frames += r.frames.length;
      for (const f of r.frames) if (kept.length < keep) kept.push(engineFrame(f));
      inFlight.delete(read);
    });
    inFlight.add(read);
    if (inFlight.size >= READ_AHEAD_FILES) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { files, frames, ms: performance.now() - started, kept };
}

/** Loupe's engine (worker, its backend, preprocessing, softmax) on decoded frames (as the engine takes them), a batch run's group at a time. */
export async function engineOnly(
  engine: EngineSupervisor,
  modelDir: string,
  frames: readonly DecodedFrame[],
  passes: number,
): Promise<number> {
  const groups: DecodedFrame[][] = [];
  for (let i = 0; i < frames.length; i += GROUP_FRAMES) groups.push(frames.slice(i, i + GROUP_FRAMES));
  // Warm-up: loads the model and compiles kernels.
  await engine.call('predict', { modelDir, frames: groups[0]! });
  const started = performance.now();
  for (let p = 0; p < passes; p++) for (const g of groups) await engine.call('predict', { modelDir, frames: g });
  return rate(frames.length * passes, performance.now() - started);
}

/** ONNX Runtime behind Loupe's own preprocessing and outputs (what `--model BUNDLE` runs), in this process. */
export async function bundleOnly(
  bundleDir: string,
  frames: readonly DecodedFrame[],
  threads: number,
  passes: number,
): Promise<number> {
  const predictor = await BundlePredictor.load(bundleDir, threads);
  try {
    await predictor.predict(frames.slice(0, GROUP_FRAMES));
    const started = performance.now();
    for (let p = 0; p < passes; p++)
      for (let i = 0; i < frames.length; i += GROUP_FRAMES) await predictor.predict(frames.slice(i, i + GROUP_FRAMES));
    return rate(frames.length * passes, performance.now() - started);
  } finally {
    predictor.dispose();
  }
}

/** The prepared model input of `frames` (NCHW float32), GROUP_FRAMES images a tensor. */
export function preparedTensors(card: ModelCard, frames: readonly DecodedFrame[]): ort.Tensor[] {
  const out: ort.Tensor[] = [];
  for (let i = 0; i < frames.length; i += GROUP_FRAMES)
    out.push(onnxInput(card, frames.slice(i, i + GROUP_FRAMES), false));
  return out;
}

/** ONNX Runtime's session alone on prepared tensors; also its logits of the first tensor. */
export async function onnxRuntimeOnly(
  onnxFile: string,
  tensors: readonly ort.Tensor[],
  names: { input: string; output: string },
  threads: number,
  passes: number,
): Promise<{ rate: number; firstLogits: Float32Array }> {
  const session = await ort.InferenceSession.create(onnxFile, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  try {
    const first = await session.run({ [names.input]: tensors[0]! });
    const firstLogits = Float32Array.from(first[names.output]!.data as Float32Array);
    const started = performance.now();
    let images = 0;
    for (let p = 0; p < passes; p++)
      for (const t of tensors) {
        await session.run({ [names.input]: t });
        images += t.dims[0]!;
      }
    return { rate: rate(images, performance.now() - started), firstLogits };
  } finally {
    await session.release();
  }
}

/** The PyTorch twin (bench/predict_torch.py) on the same tensors; null with the reason when PyTorch is unavailable. */
export function torchOnly(
  twinBase: string,
  tensors: readonly ort.Tensor[],
  scratch: string,
  threads: number,
  passes: number,
): { rate: number; version: string; firstLogits: number[] } | { unavailable: string } {
  const images = tensors.reduce((n, t) => n + t.dims[0]!, 0);
  const [, c, h, w] = tensors[0]!.dims as number[];
  const all = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    all.set(t.data as Float32Array, at);
    at += t.size;
  }
  const input = path.join(scratch, 'tensors.bin');
  writeFileSync(input, new Uint8Array(all.buffer));
  const script = path.join(appRoot(), 'bench', 'predict_torch.py');
  const child = spawnSync(
    '/usr/bin/python3',
    [
      script,
      twinBase,
      input,
      String(images),
      String(c),
      String(h),
      String(w),
      '--threads',
      String(threads),
      '--batch',
      String(GROUP_FRAMES),
      '--passes',
      String(passes * tensors.length),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (child.status !== 0)
    return { unavailable: (child.stderr || child.error?.message || '').trim().split('\n').pop() ?? 'failed' };
  const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    imagesPerSecond: number;
    torch: string;
    logits: number[];
  };
  return { rate: out.imagesPerSecond, version: out.torch, firstLogits: out.logits };
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
