import { describe, expect, it } from 'vitest';
import { formatBest, formatLoss, wantsLogAxis } from './loss-axis';

describe('formatLoss', () => {
  it.each([
    [2.302585, '2.30'],
    [0.5, '0.500'],
    [0.012345, '0.0123'],
    [0.00123, '0.00123'],
    [0.000042, '4.20e-5'],
    [3e-9, '3.00e-9'],
    [123.456, '123'],
    [12345.6, '12346'],
    [0, '0'],
    [-0.25, '-0.250'],
    [Number.NaN, 'NaN'],
  ])('%s → %s', (value, text) => expect(formatLoss(value)).toBe(text));

  it('never writes a non-zero loss as zero', () => {
    for (let exponent = -12; exponent <= 3; exponent++) {
      const text = formatLoss(1.5 * 10 ** exponent);
      expect(Number(text)).toBeGreaterThan(0);
      expect(Math.abs(Number(text) / (1.5 * 10 ** exponent) - 1)).toBeLessThan(0.01);
    }
  });
});

describe('wantsLogAxis', () => {
  const curve = (...ys: number[]) => ({ name: 'loss', points: ys.map((y, i): [number, number] => [i + 1, y]) });
  it('is logarithmic when positive losses span two decades', () => {
    expect(wantsLogAxis([curve(2.3, 0.5), curve(0.01)])).toBe(true);
    expect(wantsLogAxis([curve(2.3, 0.5, 0.05)])).toBe(false);
  });
  it('stays linear with a zero or negative value, or no points', () => {
    expect(wantsLogAxis([curve(2.3, 0)])).toBe(false);
    expect(wantsLogAxis([curve(2.3, -0.1, 0.001)])).toBe(false);
    expect(wantsLogAxis([])).toBe(false);
  });
});

describe('formatBest', () => {
  it('writes a best loss as a loss and a best rate with 4 decimals', () => {
    expect(formatBest('val_loss', 0.00002)).toBe('2.00e-5');
    expect(formatBest('val_accuracy', 0.5)).toBe('0.5000');
  });
});
