import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { LoupeError, type EngineInfo } from '../../../contract/index';
import { setLoupeClient } from '../client/index';
import { fakeClient } from '../testing/fake-client';
import { useEngineStore } from './engine';
import { useWorkspaceStore } from './workspace';

const INFO: EngineInfo = {
  backend: 'wasm',
  tfjsBackend: 'wasm',
  versions: { tfjs: '4.22.0', node: '20' },
  features: { simd: true, threads: 1, cores: 2 },
  attempts: [{ backend: 'wasm', ok: true }],
};

beforeEach(() => setActivePinia(createPinia()));

describe('useEngineStore', () => {
  it('hydrates the state and starts the engine', async () => {
    const client = fakeClient({
      'engine.status': () => ({ state: 'stopped', backend: null }),
      'engine.info': () => INFO,
    });
    setLoupeClient(client);
    const store = useEngineStore();
    await store.hydrate();
    expect(store.info).toEqual(INFO);
    client.emit('engine.state', { state: 'ready', backend: 'wasm' });
    expect(store.label).toBe('wasm');
  });

  it('shows a crash and clears the stale backend info', async () => {
    const client = fakeClient({
      'engine.status': () => ({ state: 'ready', backend: 'wasm' }),
      'engine.info': () => INFO,
    });
    setLoupeClient(client);
    const store = useEngineStore();
    await store.hydrate();
    client.emit('engine.state', { state: 'crashed', backend: null, message: 'exit code 134' });
    expect(store.label).toBe('restarting…');
    expect(store.info).toBeNull();
  });

  it('reports a backend that cannot start', async () => {
    setLoupeClient(
      fakeClient({
        'engine.status': () => ({ state: 'stopped', backend: null }),
        'engine.info': () => {
          throw new LoupeError('ENGINE_UNAVAILABLE', 'No engine backend could start.');
        },
      }),
    );
    const store = useEngineStore();
    await store.hydrate();
    expect(store.error).toBe('No engine backend could start.');
    expect(store.label).toBe('engine unavailable');
  });
});

describe('useWorkspaceStore', () => {
  const summary = { path: '/data/ws', name: 'ws', schemaVersion: 1, createdAt: '2026-01-01T00:00:00.000Z' };

  it('opens a workspace and follows changes made elsewhere', async () => {
    const client = fakeClient({ 'workspace.current': () => null, 'workspace.open': () => summary });
    setLoupeClient(client);
    const store = useWorkspaceStore();
    await store.hydrate();
    expect(await store.open('  /data/ws ', true)).toBe(true);
    expect(client.calls.at(-1)).toEqual({ channel: 'workspace.open', request: { path: '/data/ws', create: true } });
    expect(store.current).toEqual(summary);
    client.emit('workspace.changed', null);
    expect(store.current).toBeNull();
  });

  it('keeps the error for the form when opening fails', async () => {
    setLoupeClient(
      fakeClient({
        'workspace.open': () => {
          throw new LoupeError('NOT_A_WORKSPACE', '/data/photos is not a Loupe workspace.');
        },
      }),
    );
    const store = useWorkspaceStore();
    expect(await store.open('/data/photos', false)).toBe(false);
    expect(store.error).toMatch(/not a Loupe workspace/);
    expect(store.busy).toBe(false);
  });

  it('says Create makes a workspace where Open found no folder', async () => {
    setLoupeClient(
      fakeClient({
        'workspace.open': () => {
          throw new LoupeError('NOT_FOUND', 'There is no folder at /data/new.');
        },
      }),
    );
    const store = useWorkspaceStore();
    expect(await store.open('/data/new', false)).toBe(false);
    expect(store.error).toBe('There is no folder at /data/new. Create makes a new workspace there.');
  });
});
