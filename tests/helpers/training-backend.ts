/**
 * The backend the training tests run on: the engine's own choice, started as the engine starts
 * it (on wasm, with Loupe's gradient kernels from ml/backends/wasm-kernels registered).
 */
import { initBackend } from '../../ml/backends/select';

/** Starts the engine's backend for training tests and returns its tfjs name. */
export async function startTrainingBackend(): Promise<string> {
  return (await initBackend(null)).tfjsBackend;
}
