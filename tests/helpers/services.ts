import { existsSync } from 'node:fs';
import { engineWorkerEntry, rendererDir } from '../../main/app/paths';
import { spawnNodeEngineWorker } from '../../main/engine/node-worker';
import { Services } from '../../main/services/index';
import { memoryLogger } from '../../main/services/logger';

/** Integration tests run against the built worker and UI; `npm test` builds first. */
export function requireBuild(): void {
  for (const file of [engineWorkerEntry(), rendererDir()]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before the integration tests.`);
  }
}

/** Real services with the engine in a real worker thread; `workers` lists every worker spawned. */
export function realServices() {
  requireBuild();
  const workers: ReturnType<typeof spawnNodeEngineWorker>[] = [];
  const log = memoryLogger();
  const services = new Services({
    host: 'browser',
    version: 'test',
    log,
    spawnEngine: () => {
      const worker = spawnNodeEngineWorker(engineWorkerEntry());
      workers.push(worker);
      return worker;
    },
  });
  return { services, workers, log };
}
