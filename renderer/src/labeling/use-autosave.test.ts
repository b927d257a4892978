import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { LoupeError } from '../../../contract/index';
import { useAutosave, type AutosaveArgs } from './use-autosave';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function harness(overrides: Partial<AutosaveArgs> = {}) {
  // Like the store: each edit bumps a version; a save clears only the version it sent.
  let version = 0;
  let savedVersion = 0;
  const saves: number[] = [];
  let release: (() => void) | null = null;
  let failWith: unknown = null;
  const scope = effectScope();
  const autosave = scope.run(() =>
    useAutosave({
      save: async () => {
        saves.push(Date.now());
        const sent = version;
        if (failWith) {
          const error = failWith;
          throw error;
        }
        await new Promise<void>((resolve) => (release = resolve));
        savedVersion = sent;
      },
      isDirty: () => version !== savedVersion,
      ...overrides,
    }),
  )!;
  return {
    autosave,
    saves,
    scope,
    edit() {
      version++;
      autosave.notify();
    },
    finishSave() {
      release?.();
      release = null;
    },
    fail(error: unknown) {
      failWith = error;
    },
  };
}

describe('useAutosave', () => {
  it('saves about a second after the last edit, once for a burst of edits', async () => {
    const h = harness();
    const start = Date.now();
    h.edit();
    await vi.advanceTimersByTimeAsync(400);
    h.edit();
    expect(h.autosave.status.value).toBe('pending');
    await vi.advanceTimersByTimeAsync(999);
    expect(h.saves).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.saves).toEqual([start + 1400]);
    expect(h.autosave.status.value).toBe('saving');
    h.finishSave();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.autosave.status.value).toBe('saved');
    expect(h.autosave.lastSavedAt.value).not.toBeNull();
  });

  it('saves during continuous editing no later than maxWait after the first edit', async () => {
    const h = harness({ maxWaitMs: 2500 });
    const start = Date.now();
    for (let t = 0; t < 30; t++) {
      h.edit();
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(h.saves[0]).toBe(start + 2500);
  });

  it('never overlaps saves: an edit during a save is saved after it', async () => {
    const h = harness();
    h.edit();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.saves).toHaveLength(1);
    h.edit();
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.saves).toHaveLength(1);
    h.finishSave();
    await vi.advanceTimersByTimeAsync(0);
    // The edit made during the save is still unsaved; it has waited past maxWait, so it goes now.
    expect(h.saves).toHaveLength(2);
    expect(h.autosave.status.value).toBe('saving');
  });

  it('shows a failed save with its message and retries with backoff', async () => {
    const h = harness({ retryDelaysMs: [1000, 3000] });
    h.fail(new LoupeError('IO_ERROR', 'Could not save the mask (disk full).'));
    h.edit();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.autosave.status.value).toBe('error');
    expect(h.autosave.error.value).toBe('Could not save the mask (disk full).');
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.saves).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2999);
    expect(h.saves).toHaveLength(2);
    h.fail(null);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.saves).toHaveLength(3);
    h.finishSave();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.autosave.status.value).toBe('saved');
    expect(h.autosave.error.value).toBeNull();
  });

  it('does not retry a conflict: it waits for the user', async () => {
    const h = harness();
    h.fail(new LoupeError('CONFLICT', 'These labels were changed elsewhere.'));
    h.edit();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.saves).toHaveLength(1);
    expect(h.autosave.status.value).toBe('error');
  });

  it('flushes on demand and when its scope ends', async () => {
    const h = harness();
    h.edit();
    const flushed = h.autosave.flush();
    expect(h.saves).toHaveLength(1);
    h.finishSave();
    await flushed;
    expect(h.autosave.status.value).toBe('saved');
    h.edit();
    h.scope.stop();
    expect(h.saves).toHaveLength(2);
  });
});
