import { Worker } from 'node:worker_threads';
import { preferSleepingOpenMpThreads } from '../../ml/backends/onednn/openmp';
import { prepareHeadlessOpenGles } from '../../ml/backends/webgpu/headless-egl';
import type { EngineWorker } from './supervisor';

/** A thread started before the host needed it, and how it ended if it already has. */
let early: { entry: string; worker: Worker; ended: string | null } | null = null;

/**
 * Starts the engine's thread now, before the host has loaded its own modules (about 0.4 s for the
 * CLI), so that the engine loads its own (tfjs, the contract: about 0.6 s) at the same time. The
 * first spawnNodeEngineWorker of `entry` takes it. Until then it does not keep the process alive.
 */
export function startNodeEngineWorkerEarly(entry: string): Worker {
  const worker = newEngineThread(entry);
  worker.unref();
  const started = { entry, worker, ended: null as string | null };
  worker.on('error', (error) => (started.ended ??= `error: ${error.message}`));
  worker.on('exit', (code) => (started.ended ??= `exit code ${code}`));
  early = started;
  return worker;
}

/**
 * A new thread running `entry`. OpenMP's and EGL's settings are put in the process's environment
 * first: the engine loads oneDNN and Dawn in this thread, where setting them would be too late
 * (openmp.ts, webgpu/headless-egl.ts).
 */
function newEngineThread(entry: string): Worker {
  preferSleepingOpenMpThreads();
  prepareHeadlessOpenGles();
  return new Worker(entry);
}

/** The early thread of `entry`, if one was started and is still running. */
function takeEarly(entry: string): Worker | null {
  const started = early?.entry === entry ? early : null;
  if (!started) return null;
  early = null;
  if (started.ended !== null) return null;
  started.worker.ref();
  return started.worker;
}

/** The engine in a Node worker thread (web host, CLI, tests). */
export function spawnNodeEngineWorker(entry: string): EngineWorker & { readonly thread: Worker } {
  const worker = takeEarly(entry) ?? newEngineThread(entry);
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
