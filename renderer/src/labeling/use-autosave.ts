/**
 * Autosave for labeling: edits are saved about a second after the last one (and at most
 * `maxWaitMs` after the first, so continuous painting still saves), one save at a time — an edit
 * during a save schedules another save after it — and a failed save is shown (status 'error'
 * with the message) and retried with backoff, except failures that retrying cannot fix (a
 * conflict, a refused request), which wait for the user.
 */
import { getCurrentScope, onScopeDispose, ref, type Ref } from 'vue';
import { isLoupeError } from '../../../contract/index';
import { messageOf } from '../client/index';

export type AutosaveStatus = 'saved' | 'pending' | 'saving' | 'error';

export interface AutosaveArgs {
  /** Saves everything dirty; throws on failure. */
  save: () => Promise<void>;
  /** Whether anything is left to save. */
  isDirty: () => boolean;
  /** Quiet time after the last edit before saving. Default 1000 ms ("within about a second"). */
  delayMs?: number;
  /** Longest an edit waits while edits keep coming. Default 2500 ms. */
  maxWaitMs?: number;
  /** Waits before each retry of a failed save; the last repeats. Default 1, 2, 5, 10, 30 s. */
  retryDelaysMs?: readonly number[];
  /** Whether a failure is worth retrying. Default: all but CONFLICT, INVALID_REQUEST and NOT_FOUND. */
  shouldRetry?: (error: unknown) => boolean;
}

export interface Autosave {
  status: Ref<AutosaveStatus>;
  /** The last failure's message while it is unresolved, for a visible banner. */
  error: Ref<string | null>;
  lastSavedAt: Ref<Date | null>;
  /** Call after every edit. */
  notify(): void;
  /** Saves now (switching images, closing), waiting for a save in progress first. */
  flush(): Promise<void>;
}

const NOT_RETRYABLE = new Set(['CONFLICT', 'INVALID_REQUEST', 'NOT_FOUND']);
const defaultShouldRetry = (error: unknown): boolean => !(isLoupeError(error) && NOT_RETRYABLE.has(error.code));

export function useAutosave(args: AutosaveArgs): Autosave {
  const delayMs = args.delayMs ?? 1000;
  const maxWaitMs = args.maxWaitMs ?? 2500;
  const retryDelays = args.retryDelaysMs ?? [1000, 2000, 5000, 10_000, 30_000];
  const shouldRetry = args.shouldRetry ?? defaultShouldRetry;
  const status = ref<AutosaveStatus>('saved');
  const error = ref<string | null>(null);
  const lastSavedAt = ref<Date | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let firstPendingAt: number | null = null;
  let running: Promise<void> | null = null;
  let failures = 0;
  let disposed = false;

  function schedule(wait: number): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, wait);
  }

  /** Debounced, but never later than maxWaitMs after the oldest unsaved edit. */
  function scheduleDebounced(): void {
    const now = Date.now();
    firstPendingAt ??= now;
    schedule(Math.max(0, Math.min(delayMs, firstPendingAt + maxWaitMs - now)));
  }

  function notify(): void {
    if (disposed) return;
    if (status.value === 'saved') status.value = 'pending';
    // During a save, the edit is picked up when it ends; saves never overlap.
    if (running) firstPendingAt ??= Date.now();
    else scheduleDebounced();
  }

  function run(): Promise<void> {
    if (running) return running;
    running = (async () => {
      if (!args.isDirty()) {
        if (status.value !== 'error') status.value = 'saved';
        return;
      }
      firstPendingAt = null;
      status.value = 'saving';
      try {
        await args.save();
        failures = 0;
        error.value = null;
        lastSavedAt.value = new Date();
        if (args.isDirty()) {
          status.value = 'pending';
          if (!disposed) scheduleDebounced();
        } else status.value = 'saved';
      } catch (e) {
        error.value = messageOf(e);
        status.value = 'error';
        if (shouldRetry(e) && !disposed) schedule(retryDelays[Math.min(failures, retryDelays.length - 1)]!);
        failures++;
      }
    })().finally(() => {
      running = null;
    });
    return running;
  }

  async function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (running) await running;
    await run();
  }

  if (getCurrentScope()) {
    onScopeDispose(() => {
      if (timer) clearTimeout(timer);
      // Leaving the screen saves what is left instead of dropping it.
      if (args.isDirty()) void run();
      disposed = true;
    });
  }

  return { status, error, lastSavedAt, notify, flush };
}
