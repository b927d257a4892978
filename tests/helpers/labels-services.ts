import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addTestImages, caller, type TestImage } from './labels';
import { engineFreeServices } from './prepare-workspace';

/**
 * Services with a fresh workspace holding the given images. The labels domain needs no engine,
 * so the engine spawner refuses: a test that starts it by mistake fails loudly.
 */
export async function labelsWorkspace(images: readonly TestImage[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-labels-'));
  const { services, log } = engineFreeServices('the labels tests do not use the engine');
  const call = caller(services, log);
  const workspace = path.join(dir, 'ws');
  await call('workspace.open', { path: workspace, create: true });
  const ids = await addTestImages(services.workspaces.require().db, path.join(dir, 'images'), images);
  return {
    dir,
    workspace,
    services,
    call,
    ids,
    db: () => services.workspaces.require().db,
    async dispose() {
      await services.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
