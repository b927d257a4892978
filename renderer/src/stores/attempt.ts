/**
 * How a store makes a call the user waits on: `busy` while it runs, the error's message (words a
 * user can act on, never a stack) in `error` when it fails, null in place of a reply then. One
 * helper, so that every store shows a failed call the same way.
 */
import type { Ref } from 'vue';
import { messageOf } from '../client/index';

export function attemptWith(
  busy: Ref<boolean>,
  error: Ref<string | null>,
): <T>(work: () => Promise<T>) => Promise<T | null> {
  return async (work) => {
    busy.value = true;
    error.value = null;
    try {
      return await work();
    } catch (e) {
      error.value = messageOf(e);
      return null;
    } finally {
      busy.value = false;
    }
  };
}
