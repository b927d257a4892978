/** Builds the imaging service with its decode pool (workers from the built decode-worker entry). */
import path from 'node:path';
import { appRoot } from '../../app/paths';
import type { Logger } from '../logger';
import type { WorkspaceService } from '../workspace/workspace-service';
import { DecodePool } from './decode-pool';
import { ImagingService } from './imaging-service';

/** The built decode worker (electron.vite.config.ts, main input `decode-worker`). */
export function decodeWorkerEntry(): string {
  return path.join(appRoot(), 'out', 'main', 'decode-worker.js');
}

/** `headless`: no window to keep responsive (the CLI), so decoding may take every core. */
export function createImagingService(workspaces: WorkspaceService, log: Logger, headless = false): ImagingService {
  return new ImagingService(workspaces, new DecodePool({ entry: decodeWorkerEntry(), log, headless }));
}

export { imagingHandlers } from './handlers';
export { ImagingService } from './imaging-service';
