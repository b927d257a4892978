import { Worker } from 'node:worker_threads';
import type { EngineWorker } from './supervisor';

/** The engine in a Node worker thread (web host, CLI, tests). */
export function spawnNodeEngineWorker(entry: string): EngineWorker & { readonly thread: Worker } {
  const worker = new Worker(entry);
  let exited = false;
  const exitListeners: ((description: string) => void)[] = [];
  const finish = (description: string): void => {
    if (exited) return;
    exited = true;
    for (const listener of exitListeners) listener(description);
  };
  worker.on('error', (error) => finish(`error: ${error.message}`));
  worker.on('exit', (code) => finish(`exit code ${code}`));
  return {
    thread: worker,
    post: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) => exitListeners.push(listener),
    terminate: async () => {
      exited = true;
      await worker.terminate();
    },
  };
}
