/**
 * A ref kept in the browser's localStorage, so a setting or a half-filled form survives a reload
 * and a restart of Loupe (the page's origin stays the same: app:// in Electron, the loopback
 * address in browser mode, with a stable port where the user chose one).
 */
import { ref, watch, type Ref } from 'vue';

/** Prefix of every key Loupe writes, so its entries are told apart from anything else stored. */
export const STORAGE_PREFIX = 'loupe.';

/** The storage to use; null where there is none (unit tests under Node, storage disabled). */
function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Some browsers throw on access when site data is blocked: the setting then lasts the session.
    return null;
  }
}

/** The value stored under `key` if `accept` takes it, else `fallback`. */
export function readStored<T>(key: string, fallback: T, accept: (value: unknown) => value is T): T {
  const text = storage()?.getItem(STORAGE_PREFIX + key);
  if (text === null || text === undefined) return fallback;
  try {
    const value: unknown = JSON.parse(text);
    return accept(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

export function writeStored(key: string, value: unknown): void {
  try {
    storage()?.setItem(STORAGE_PREFIX + key, JSON.stringify(value));
  } catch {
    // Quota exceeded or storage blocked: the value lives on in memory until the page closes.
  }
}

/** A ref read from storage at once and written back on every change (deeply, for objects). */
export function storedRef<T>(key: string, fallback: T, accept: (value: unknown) => value is T): Ref<T> {
  const value = ref(readStored(key, fallback, accept)) as Ref<T>;
  watch(value, (next) => writeStored(key, next), { deep: true });
  return value;
}
