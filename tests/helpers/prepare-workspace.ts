/**
 * How CLI tests prepare the workspace a `loupe` command then opens: services with no engine open
 * (creating) the workspace, `fill` imports and labels through the channels as the UI would, and
 * the services close so that the command finds the workspace free. A fill that starts the engine
 * by mistake fails loudly.
 */
import { Services } from '../../main/services/index';
import { memoryLogger } from '../../main/services/logger';
import { caller } from './labels';

export type SetupCall = ReturnType<typeof caller>;

/** Services whose engine spawner refuses, with `why` as its error: a test that starts the engine by mistake fails loudly. */
export function engineFreeServices(why: string): { services: Services; log: ReturnType<typeof memoryLogger> } {
  const log = memoryLogger();
  const services = new Services({
    host: 'cli',
    version: 'test',
    log,
    spawnEngine: () => {
      throw new Error(why);
    },
  });
  return { services, log };
}

export async function prepareWorkspace(workspace: string, fill: (call: SetupCall) => Promise<void>): Promise<void> {
  const { services, log } = engineFreeServices('setup needs no engine');
  try {
    const call = caller(services, log);
    await call('workspace.open', { path: workspace, create: true });
    await fill(call);
  } finally {
    await services.dispose();
  }
}
