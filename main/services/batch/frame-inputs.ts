/**
 * What a batch run reads of each file and sends the engine: the decoded frames, or, when the run
 * needs no pixels in this process (no heatmaps, no gallery, a Loupe model folder), every frame
 * prepared in the decode worker as the model card says. A 512² CT slice is then 16 KB of model
 * input on its way to the engine instead of 512 KB of pixels, and the engine only runs the model.
 */
import {
  packPreparedFrames,
  type DecodedFrame as EngineFrame,
  type ImageInfo,
  type PreparedFrame,
  type PreprocessingSpec,
} from '../../../contract/index';
import type { EngineRequestOf } from '../../../contract/engine/protocol';
import { engineFrame } from '../../../ml/decode/engine-frame';
import type { DecodedFrame } from '../../../ml/decode/types';
import type { DecodePool } from '../imaging/decode-pool';
import type { FoundFile } from '../imaging/file-walk';

export interface PreparedInput {
  /** Each frame's model input in turn (rows × columns × channels, channels last). */
  input: Float32Array<ArrayBuffer>;
  frames: PreparedFrame[];
}

export type Read =
  | {
      ok: true;
      file: FoundFile;
      sha256: string;
      size: number;
      info: ImageInfo;
      /** Frames in the file. */
      count: number;
      /** The pixels (empty when the frames were prepared). */
      frames: DecodedFrame[];
      prepared: PreparedInput | null;
      /** Why the model cannot take this file, found while preparing it. */
      refused?: string;
    }
  | { ok: false; file: FoundFile; reason: string };

export type ReadOk = Extract<Read, { ok: true }>;

/** What one engine `predict` call takes. */
export type FrameInputs = { frames: EngineFrame[] } | { prepared: PreparedInput };

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const oddSamples = (samplesPerPixel: number): boolean =>
  samplesPerPixel !== 1 && samplesPerPixel !== 3 && samplesPerPixel !== 4;

const oddReason = (samplesPerPixel: number): string =>
  `${samplesPerPixel} samples per pixel; models read grey or colour images.`;

/** Reads `file` in the decode pool; with `prepare`, its frames prepared there instead of its pixels. */
export function read(pool: DecodePool, file: FoundFile, prepare?: PreprocessingSpec): Promise<Read> {
  const failed = (error: unknown): Read => ({ ok: false, file, reason: reasonOf(error) });
  if (prepare)
    return pool.readPrepared(file.path, prepare).then(({ prepared, ...r }): Read => {
      const base = { ok: true as const, file, ...r, frames: [], count: r.info.frames };
      if ('error' in prepared) return { ...base, prepared: null, refused: prepared.error };
      const odd = prepared.samplesPerPixel.find(oddSamples);
      if (odd !== undefined) return { ok: false, file, reason: oddReason(odd) };
      return { ...base, count: prepared.frames.length, prepared: { input: prepared.input, frames: prepared.frames } };
    }, failed);
  return pool.read(file.path).then((r): Read => {
    const odd = r.frames.find((f) => oddSamples(f.samplesPerPixel));
    if (odd) return { ok: false, file, reason: oddReason(odd.samplesPerPixel) };
    return { ok: true, file, ...r, count: r.frames.length, prepared: null };
  }, failed);
}

/** Frames per group where the frames go to the engine as decoded pixels, whose size a run does not know ahead. */
const PIXEL_GROUP_FRAMES = 64;
/** Most frames per group, for small model inputs. */
export const MAX_GROUP_FRAMES = 128;
/** Fewest frames per group, however large the model's input: each group is also a commit, with its fsyncs. */
const MIN_GROUP_FRAMES = 16;
/** Model-input values (float32) a group's engine call holds at most above MIN_GROUP_FRAMES: 32 MiB. */
const GROUP_VALUES = 2 ** 23;

/**
 * Frames per group (one engine call, one journal commit) of a run whose decode workers prepare
 * frames as `spec` says (none: they send the pixels). Enough that the engine worker's fixed cost
 * per call (the message each way, the request's checks, the reply: about 0.5 ms) is small beside
 * the model: 128 small frames, not 64 (a 64² small CNN through the engine, two probe runs each:
 * 0.81–0.85 of ONNX Runtime's session alone on the same tensors with calls of 64, 0.89–0.90 with
 * calls of 128 run as one pass); few enough that a large input's call stays within 32 MiB (512²
 * grey: 32 frames) and that a kill loses little.
 */
export function groupFrames(spec: PreprocessingSpec | undefined): number {
  if (!spec) return PIXEL_GROUP_FRAMES;
  const values = spec.rows * spec.columns * spec.channels;
  return Math.max(MIN_GROUP_FRAMES, Math.min(MAX_GROUP_FRAMES, Math.floor(GROUP_VALUES / values)));
}

/** Files a run reads ahead of the model: two groups of one-frame files, so the next group is decoded while the engine predicts one; memory holds about this many files. */
export function readAheadFiles(spec: PreprocessingSpec | undefined): number {
  return 2 * groupFrames(spec);
}

/** Model-input buffers a batch run keeps for the engine calls to come. */
const KEPT_BUFFERS = 4;

/**
 * The buffers of a batch run's engine calls, each filled again once the engine gives it back
 * (predict's `prepared.giveBack`). A fresh half-megabyte buffer for every call of 32 frames kept
 * V8's garbage collector threads busy on about a third of a core beside ONNX Runtime, measured
 * over a long stream of calls; with buffers given back, about 1 % (a group of 32 64² frames:
 * 4.3–5.0 → 3.8–4.1 ms through the engine worker).
 */
export class InputBuffers {
  private readonly free: Float32Array<ArrayBuffer>[] = [];

  /** A buffer of `length` values: one given back of that length if any, else a new one. */
  take(length: number): Float32Array<ArrayBuffer> {
    const at = this.free.findIndex((b) => b.length === length);
    return at >= 0 ? this.free.splice(at, 1)[0]! : new Float32Array(length);
  }

  /** Keeps `buffer` for a later call; its values will all be overwritten. */
  giveBack(buffer: Float32Array): void {
    if (this.free.length >= KEPT_BUFFERS || buffer.byteOffset !== 0) return;
    if (buffer.byteLength !== buffer.buffer.byteLength || !(buffer.buffer instanceof ArrayBuffer)) return;
    this.free.push(buffer as Float32Array<ArrayBuffer>);
  }
}

/**
 * The frames of `reads`, in order, as engine calls of at most `perCall` frames each; prepared
 * input is written into buffers from `buffers`.
 */
export function engineCalls(reads: readonly ReadOk[], perCall: number, buffers: InputBuffers): FrameInputs[] {
  const calls: FrameInputs[] = [];
  if (reads.every((r) => r.prepared === null)) {
    const frames = reads.flatMap((r) => r.frames);
    for (let i = 0; i < frames.length; i += perCall)
      calls.push({ frames: frames.slice(i, i + perCall).map(engineFrame) });
    return calls;
  }
  // Each call's input is written once, frame by frame, into a buffer of its own (every value of
  // it, so a buffer given back needs no clearing): a view would send the whole group's buffer with
  // every call.
  const prepared = reads.map((r) => r.prepared!);
  const total = prepared.reduce((n, p) => n + p.frames.length, 0);
  const size = total > 0 ? prepared.reduce((n, p) => n + p.input.length, 0) / total : 0;
  let at = 0;
  let call: PreparedInput = { input: new Float32Array(0), frames: [] };
  for (const p of prepared)
    for (let f = 0; f < p.frames.length; f++, at++) {
      const slot = at % perCall;
      if (slot === 0) {
        call = { input: buffers.take(Math.min(perCall, total - at) * size), frames: [] };
        calls.push({ prepared: call });
      }
      call.input.set(p.input.subarray(f * size, (f + 1) * size), slot * size);
      call.frames.push(p.frames[f]!);
    }
  return calls;
}

/**
 * What a predict call is sent for `inputs`, and the buffers moved with it. engineCalls wrote a
 * call's prepared input into a buffer of its own: it moves to the engine uncopied and comes back in
 * the reply to be filled again; the frames' sizes and placements go packed (prepared-frames.ts).
 */
export function predictPayload(inputs: FrameInputs): {
  sent: Pick<EngineRequestOf<'predict'>, 'frames' | 'prepared'>;
  transfer: ArrayBuffer[];
} {
  if ('frames' in inputs) return { sent: { frames: inputs.frames }, transfer: [] };
  const { input, frames } = inputs.prepared;
  return {
    sent: { prepared: { input, frames: packPreparedFrames(frames), giveBack: true } },
    transfer: [input.buffer],
  };
}
