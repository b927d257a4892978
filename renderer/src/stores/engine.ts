import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { EngineInfo, EngineStatus } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/** The engine worker as the status bar shows it: state, backend, versions, last error. */
export const useEngineStore = defineStore('engine', () => {
  const status = ref<EngineStatus>({ state: 'stopped', backend: null });
  const info = ref<EngineInfo | null>(null);
  const error = ref<string | null>(null);
  let unsubscribe: (() => void) | null = null;

  const label = computed(() => {
    if (error.value) return 'engine unavailable';
    switch (status.value.state) {
      case 'ready':
        return status.value.backend ?? 'ready';
      case 'starting':
        return 'starting…';
      case 'crashed':
        return 'restarting…';
      default:
        return 'stopped';
    }
  });

  async function start(): Promise<void> {
    error.value = null;
    try {
      info.value = await loupe().invoke('engine.info', {});
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  /** Subscribes to engine state and starts the engine so the backend is known. */
  async function hydrate(): Promise<void> {
    unsubscribe ??= loupe().on('engine.state', (next) => {
      status.value = next;
      if (next.state === 'ready') error.value = null;
      if (next.state !== 'ready') info.value = null;
      if (next.state === 'ready' && !info.value) void start();
    });
    status.value = await loupe().invoke('engine.status', {});
    await start();
  }

  async function restart(): Promise<void> {
    error.value = null;
    try {
      info.value = await loupe().invoke('engine.restart', {});
    } catch (e) {
      error.value = messageOf(e);
    }
  }

  function dehydrate(): void {
    unsubscribe?.();
    unsubscribe = null;
  }

  return { status, info, error, label, hydrate, dehydrate, restart };
});
