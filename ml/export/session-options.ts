import type * as ort from 'onnxruntime-node';

/**
 * ONNX Runtime's session options where the engine predicts: `threads` intra-op threads that never
 * spin. ONNX Runtime's default spins on for tens of milliseconds after each run (a pass of another
 * model started at once ran 2.7 → 3.1 ms a group of 32 beside it), on the cores where a batch
 * run's decode pool works: `loupe predict` on 10,000 small PNGs took 18.3–19.9 s with spinning
 * threads, 15.0–16.1 s without. Spinning only within a run (`force_spinning_stop`) gained nothing
 * measurable here (2.5–2.7 ms a group either way).
 */
export function predictionSessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
