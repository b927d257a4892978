import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { memoryStorage } from '../testing/memory-storage';
import { advancesAfterClassKey } from '../labeling/auto-advance';
import { useLabelPreferencesStore } from './label-preferences';
import { readStored, STORAGE_PREFIX, storedRef } from './stored-ref';

beforeEach(() => {
  vi.stubGlobal('localStorage', memoryStorage());
  setActivePinia(createPinia());
});
afterEach(() => vi.unstubAllGlobals());

const isNumber = (v: unknown): v is number => typeof v === 'number';

describe('storedRef', () => {
  it('writes changes under the Loupe prefix and reads them back in a new page', async () => {
    const value = storedRef('test.n', 1, isNumber);
    value.value = 5;
    await nextTick();
    expect(localStorage.getItem(`${STORAGE_PREFIX}test.n`)).toBe('5');
    expect(storedRef('test.n', 1, isNumber).value).toBe(5);
  });

  it('falls back on a value of the wrong shape or unreadable JSON', () => {
    localStorage.setItem(`${STORAGE_PREFIX}test.n`, '"five"');
    expect(readStored('test.n', 1, isNumber)).toBe(1);
    localStorage.setItem(`${STORAGE_PREFIX}test.n`, '{');
    expect(readStored('test.n', 1, isNumber)).toBe(1);
  });

  it('works in memory where there is no storage', async () => {
    vi.unstubAllGlobals();
    vi.stubGlobal('localStorage', undefined);
    const value = storedRef('test.n', 2, isNumber);
    value.value = 3;
    await nextTick();
    expect(value.value).toBe(3);
  });
});

describe('auto-advance', () => {
  it('is off by default and survives a reload once switched on', async () => {
    expect(useLabelPreferencesStore().autoAdvance).toBe(false);
    useLabelPreferencesStore().autoAdvance = true;
    await nextTick();
    setActivePinia(createPinia());
    expect(useLabelPreferencesStore().autoAdvance).toBe(true);
  });

  it('advances only where one key finishes an image', () => {
    const base = { autoAdvance: true, kind: 'classification', multiLabel: false, selectedImages: 1 };
    expect(advancesAfterClassKey(base)).toBe(true);
    expect(advancesAfterClassKey({ ...base, autoAdvance: false })).toBe(false);
    expect(advancesAfterClassKey({ ...base, multiLabel: true })).toBe(false);
    expect(advancesAfterClassKey({ ...base, selectedImages: 3 })).toBe(false);
    expect(advancesAfterClassKey({ ...base, kind: 'segmentation' })).toBe(false);
  });
});
