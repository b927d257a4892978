import { describe, expect, it } from 'vitest';
import { CLASS_PALETTE, nextClassColor } from './colors';

describe('nextClassColor', () => {
  it('starts with the palette and never repeats a colour while a distinct one is left', () => {
    const used: string[] = [];
    for (let k = 0; k < 300; k++) used.push(nextClassColor(used));
    expect(used.slice(0, CLASS_PALETTE.length)).toEqual(CLASS_PALETTE);
    expect(new Set(used).size).toBe(used.length);
  });

  // It used to search for a free colour forever once its ~904 distinct colours were taken.
  it('gives a colour to any number of classes (2,000 here), repeating only after every colour is used', () => {
    const used: string[] = [];
    for (let k = 0; k < 2000; k++) used.push(nextClassColor(used));
    expect(used.every((c) => /^#[0-9a-f]{6}$/.test(c))).toBe(true);
    const distinct = new Set(used).size;
    expect(distinct).toBeGreaterThan(300);
    // The first repeat comes only once every distinct colour has been handed out.
    expect(new Set(used.slice(0, distinct)).size).toBe(distinct);
  });
});
