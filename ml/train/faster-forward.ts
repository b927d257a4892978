/**
 * Which forward pass predicts when a model has two that agree: the engine's own graph and ONNX
 * Runtime's session on the same model exported (ml/export/onnx-forward.ts).
 *
 * On the CPU, ONNX Runtime's kernels run Loupe's CNNs faster than the engine's graph (0.7× for the
 * engine in bench:predict), so it is kept without timing either. With the engine on a hardware GPU
 * (WebGPU) that no longer holds: a large model runs many times faster there than on the CPU's
 * cores, a small one may not, and ONNX Runtime's threads take the cores a batch run decodes on. So
 * there both are timed at load on a pass of the size prediction runs, and the faster is kept.
 * Their outputs agree within the export's bound either way (onnxForward checked that).
 */
import type { PredictRuntime } from '../../contract/index';
import { activeBackend } from '../backends/select';
import type { ModelForward } from './predictor';

/** Timed passes of each forward after its untimed first (which compiles a GPU's programs). */
const TIMED_PASSES = 3;
/** After a round in which one forward's best pass was this many times faster than the others', timing stops. */
const CLEAR_WIN = 4;

export interface ForwardTiming {
  runtime: PredictRuntime;
  /** The fastest of its timed passes, in milliseconds. */
  ms: number;
}

/** Whether the engine computes on a GPU that is hardware (a software rasteriser is no GPU: adapters.ts). */
export function engineOnGpu(): boolean {
  const device = activeBackend()?.device;
  return Boolean(device && !device.software);
}

/**
 * Times each of `forwards` on the same input (`images` of them): an untimed pass each, then up to
 * `passes` rounds in which each runs once in turn (the machine's load weighs on all alike), each
 * forward's fastest pass counting; a round that leaves one CLEAR_WIN times faster than every
 * other ends it. The fastest forward wins; a tie goes to the first.
 */
export async function timeForwards(
  forwards: readonly ModelForward[],
  input: Float32Array,
  images: number,
  passes = TIMED_PASSES,
): Promise<{ fastest: ModelForward; timings: ForwardTiming[] }> {
  if (forwards.length === 0) throw new Error('timeForwards needs a forward to time');
  for (const forward of forwards) await forward.run(input, images);
  const best = forwards.map(() => Infinity);
  let fastest = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (const [i, forward] of forwards.entries()) {
      const start = performance.now();
      await forward.run(input, images);
      best[i] = Math.min(best[i]!, performance.now() - start);
    }
    fastest = 0;
    for (let i = 1; i < forwards.length; i++) if (best[i]! < best[fastest]!) fastest = i;
    // A clear win needs no more rounds (a slow forward's passes are what timing costs at load).
    if (best.every((ms, i) => i === fastest || ms >= CLEAR_WIN * best[fastest]!)) break;
  }
  return {
    fastest: forwards[fastest]!,
    timings: forwards.map((forward, i) => ({ runtime: forward.runtime, ms: best[i]! })),
  };
}

export interface FasterForwardOptions {
  /** Frames a timed pass takes: as many as prediction runs in one. */
  images: number;
  /** Input values a frame holds (rows × columns × channels). */
  frameValues: number;
  /** The timed input, `length` values (made only where the forwards are timed). */
  input: (length: number) => Float32Array;
  /** Hears which forward was kept, with the timings, when they were taken. */
  say: (line: string) => void;
  /** Whether the engine is on a hardware GPU (default: engineOnGpu()). */
  onGpu?: boolean;
}

/**
 * The forward prediction keeps, given the engine's and ONNX Runtime's: ONNX Runtime's, unless the
 * engine is on a GPU and ran a pass faster there. The one not kept is the caller's to dispose.
 */
export async function fasterForward(
  engine: ModelForward,
  onnx: ModelForward,
  options: FasterForwardOptions,
): Promise<ModelForward> {
  const { images, say, onGpu = engineOnGpu() } = options;
  if (!onGpu) return onnx;
  const input = options.input(images * options.frameValues);
  const { fastest, timings } = await timeForwards([onnx, engine], input, images);
  const [ort, gpu] = timings.map((t) => `${t.ms.toFixed(1)} ms`);
  say(
    `predicts on ${fastest === engine ? 'the engine (GPU)' : 'ONNX Runtime (CPU)'}: a pass of ${images} frames took ${gpu} on the GPU, ${ort} on ONNX Runtime`,
  );
  return fastest;
}
