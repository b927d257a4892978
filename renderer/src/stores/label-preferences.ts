import { defineStore } from 'pinia';
import { storedRef } from './stored-ref';

const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';

/**
 * How labeling behaves for this user on this machine, kept across reloads. Auto-advance: in a
 * single-label classification task, a class key also moves to the next image of the grid's
 * filter, so labeling a dataset takes one key per image instead of two.
 */
export const useLabelPreferencesStore = defineStore('label-preferences', () => {
  const autoAdvance = storedRef('label.auto-advance', false, isBoolean);
  return { autoAdvance };
});
