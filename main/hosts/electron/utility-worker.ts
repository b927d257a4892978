import { utilityProcess } from 'electron';
import type { EngineWorker } from '../../engine/supervisor';

/** The engine in an Electron utilityProcess: a separate OS process, so a native crash stays there. */
export function spawnUtilityEngineWorker(entry: string): EngineWorker {
  const child = utilityProcess.fork(entry, [], { serviceName: 'Loupe engine', stdio: 'inherit' });
  let exited = false;
  const exitListeners: ((description: string) => void)[] = [];
  child.on('exit', (code) => {
    if (exited) return;
    exited = true;
    for (const listener of exitListeners) listener(`exit code ${code}`);
  });
  return {
    // Electron's utility process port copies every message; it moves no buffers (`transfer` is left out).
    post: (message) => child.postMessage(message),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => exitListeners.push(listener),
    terminate: async () => {
      exited = true;
      child.kill();
    },
  };
}
