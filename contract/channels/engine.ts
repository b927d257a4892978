import { z } from 'zod';
import { emptyRequestSchema } from '../common';
import { defineChannel, defineEvent } from '../define';

/** The backends the engine knows, fastest first. */
export const BACKEND_NAMES = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'onednn', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const ENGINE_STATES = ['stopped', 'starting', 'ready', 'crashed'] as const;
export type EngineState = (typeof ENGINE_STATES)[number];

export const backendAttemptSchema = z.object({
  backend: z.enum(BACKEND_NAMES),
  ok: z.boolean(),
  /** Why it was not used, in a user's words ("not installed", "forced by LOUPE_BACKEND"). */
  reason: z.string().optional(),
});

export const engineInfoSchema = z.object({
  backend: z.enum(BACKEND_NAMES),
  /** The tfjs backend name as tfjs reports it (`tensorflow`, `wasm`, `cpu`). */
  tfjsBackend: z.string(),
  versions: z.object({ tfjs: z.string(), node: z.string() }),
  /** What the backend can use: wasm SIMD and threads, CPU cores. */
  features: z.object({ simd: z.boolean(), threads: z.number().int().min(1), cores: z.number().int().min(1) }),
  attempts: z.array(backendAttemptSchema),
  /** The most bytes of tensors the backend holds at once, where it has such a limit (oneDNN: LOUPE_TENSOR_MEMORY_GIB or ¾ of memory; wasm: its heap's 4 GiB). */
  tensorMemoryBytes: z.number().int().positive().optional(),
  /** The GPU the engine computes on (webgpu), with `software` true for a CPU rasteriser used only when forced. */
  device: z.object({ name: z.string(), api: z.enum(['native', 'opengles']), software: z.boolean() }).optional(),
});
export type EngineInfo = z.infer<typeof engineInfoSchema>;

export const engineStateSchema = z.object({
  state: z.enum(ENGINE_STATES),
  backend: z.enum(BACKEND_NAMES).nullable(),
  /** Set when the state is `crashed`: what happened, for the status bar. */
  message: z.string().optional(),
});
export type EngineStatus = z.infer<typeof engineStateSchema>;

export const engineInfo = defineChannel({
  name: 'engine.info',
  summary: 'Start the engine if needed and report the active backend, versions and features.',
  request: emptyRequestSchema,
  reply: engineInfoSchema,
});

export const engineStatus = defineChannel({
  name: 'engine.status',
  summary: 'The engine worker state right now, without starting it.',
  request: emptyRequestSchema,
  reply: engineStateSchema,
});

export const engineRestart = defineChannel({
  name: 'engine.restart',
  summary: 'Stop the engine worker (failing its pending calls) and start a fresh one.',
  request: emptyRequestSchema,
  reply: engineInfoSchema,
});

/** Matrix sizes a benchmark may use: big enough to measure, small enough to finish. */
export const BENCHMARK_LIMITS = { minSize: 16, maxSize: 2048, maxIterations: 1000 } as const;

export const benchmarkRequestSchema = z
  .object({
    size: z.number().int().min(BENCHMARK_LIMITS.minSize).max(BENCHMARK_LIMITS.maxSize).default(256),
    iterations: z.number().int().min(1).max(BENCHMARK_LIMITS.maxIterations).default(20),
  })
  .strict();

export const benchmarkReplySchema = z.object({
  backend: z.enum(BACKEND_NAMES),
  size: z.number().int(),
  iterations: z.number().int(),
  msPerIteration: z.number().nonnegative(),
  gflops: z.number().nonnegative(),
});
export type BenchmarkReply = z.infer<typeof benchmarkReplySchema>;

export const progressSchema = z.object({ done: z.number().int().min(0), total: z.number().int().min(0) });

export const engineBenchmark = defineChannel({
  name: 'engine.benchmark',
  summary: 'Time square matrix products on the active backend (GFLOP/s), with progress and cancel.',
  request: benchmarkRequestSchema,
  reply: benchmarkReplySchema,
  progress: progressSchema,
});

export const engineStateEvent = defineEvent({
  name: 'engine.state',
  summary: 'The engine worker changed state (starting, ready, crashed).',
  payload: engineStateSchema,
});
