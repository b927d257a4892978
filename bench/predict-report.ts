/**
 * bench:predict's report: one block of images/s and ratios per folder, then the memory rows and
 * how busy the machine was.
 */
import os from 'node:os';
import { BENCH_GROUP } from './predict-fixtures';
import type { PipelineMeasure } from './predict-end-to-end';

const GIB = 1024 ** 3;

export interface SetResult {
  name: string;
  files: number;
  modelOnly: number;
  /** model-only / ONNX Runtime on tensors, each round's pair (roundByRound), with either session options. */
  modelOnlyVsOnnxByRound: { defaults: number; quiet: number };
  engineRuntime: string;
  onnxFrames: number;
  onnxTensors: number;
  /** The same with the engine's session options (no spinning threads). */
  onnxTensorsQuiet: number;
  loupeTensors: number;
  loupeBackend: string;
  loupeVsOnnxMaxDiff: number;
  torch: number | string;
  torchVsOnnxMaxDiff: number | null;
  pipeline: PipelineMeasure;
}

const fixed = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function print(
  results: SetResult[],
  memory: { files: number; peakRssGiB: number; seconds: number }[],
  plan: { threads: number; rounds: number; e2eRounds: number; loadBefore: number; loadAfter: number },
): void {
  console.log(
    `\nimages/s — small-cnn 64² grey, groups of ${BENCH_GROUP}, ${plan.threads} threads for ONNX Runtime and PyTorch; model rows: median of ${plan.rounds} interleaved rounds; decode-only and end to end: median of ${plan.e2eRounds} rounds in turn\n`,
  );
  for (const r of results) {
    const torch =
      typeof r.torch === 'number'
        ? `${fixed(r.torch)} (twin's logits within ${r.torchVsOnnxMaxDiff!.toExponential(1)} of ONNX Runtime's)`
        : r.torch;
    console.log(`${r.name}`);
    const p = r.pipeline;
    console.log(`  decode-only (decode pool, frames prepared)      ${fixed(p.decodeOnly)}`);
    console.log(
      `  model-only (Loupe engine, prepared frames → predictions) ${fixed(r.modelOnly)}  (the model on ${r.engineRuntime})`,
    );
    console.log(`  ONNX Runtime, frames → predictions (--model BUNDLE) ${fixed(r.onnxFrames)}`);
    console.log(`  ONNX Runtime, prepared tensors → logits         ${fixed(r.onnxTensors)}`);
    console.log(`  the same, Loupe's session options (no spinning) ${fixed(r.onnxTensorsQuiet)}`);
    console.log(
      `  Loupe model, prepared tensors → logits          ${fixed(r.loupeTensors)}  (on ${r.loupeBackend}; logits within ${r.loupeVsOnnxMaxDiff.toExponential(1)} of ONNX Runtime's)`,
    );
    console.log(`  PyTorch twin, prepared tensors → logits         ${torch}`);
    console.log(
      `  end-to-end loupe predict                        ${fixed(p.endToEnd)}  (peak RSS ${(p.peakRss / GIB).toFixed(2)} GiB, exit ${p.code})`,
    );
    console.log(
      `  end-to-end after start (less a one-file run, ${p.startupSeconds.toFixed(1)} s) ${fixed(p.afterStart)}`,
    );
    const c = p.cpu;
    console.log(
      `  CPU per image (every thread): decode-only ${c.decodeMsPerImage.toFixed(3)} ms (${c.decodeCores.toFixed(2)} cores busy), end-to-end after start ${c.afterStartMsPerImage.toFixed(3)} ms (${c.afterStartCores.toFixed(2)} cores busy): with the same cores busy, after start / decode-only ≤ ${c.ceiling.toFixed(2)}`,
    );
    console.log(
      `  end-to-end after start / decode-only ${p.afterStartRatio.toFixed(2)}   end-to-end / decode-only ${p.ratio.toFixed(2)}   model-only / ONNX Runtime (tensors) ${(r.modelOnly / r.onnxTensors).toFixed(2)} (round by round ${r.modelOnlyVsOnnxByRound.defaults.toFixed(2)})   model-only / ONNX Runtime (tensors, no spinning) ${(r.modelOnly / r.onnxTensorsQuiet).toFixed(2)} (round by round ${r.modelOnlyVsOnnxByRound.quiet.toFixed(2)})   model-only / ONNX Runtime (frames) ${(r.modelOnly / r.onnxFrames).toFixed(2)}   Loupe model / ONNX Runtime (tensors) ${(r.loupeTensors / r.onnxTensors).toFixed(2)}${typeof r.torch === 'number' ? `   model-only / PyTorch ${(r.modelOnly / r.torch).toFixed(2)}` : ''}\n`,
    );
  }
  for (const m of memory)
    console.log(
      `memory: loupe predict on ${m.files} small PNGs: peak RSS ${m.peakRssGiB.toFixed(2)} GiB (${m.seconds.toFixed(1)} s)`,
    );
  // Other processes on the machine slow every row: say how busy it was.
  console.log(
    `\n${os.availableParallelism()} cores; 1-minute load average ${plan.loadBefore.toFixed(2)} before, ${plan.loadAfter.toFixed(2)} after.`,
  );
}
