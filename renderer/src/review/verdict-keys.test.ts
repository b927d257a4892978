import { describe, expect, it } from 'vitest';
import { confirmKey, verdictKey, type VerdictKeyActions } from './verdict-keys';

function recorder() {
  const calls: string[] = [];
  const actions: VerdictKeyActions = {
    agree: () => calls.push('agree'),
    disagree: () => calls.push('disagree'),
    unsure: () => calls.push('unsure'),
    comment: () => calls.push('comment'),
    toggleHeatmap: () => calls.push('heatmap'),
    next: () => calls.push('next'),
    previous: () => calls.push('previous'),
    more: { t: () => calls.push('trust') },
  };
  return { calls, actions };
}

describe('the verdict keys every Review view shares', () => {
  it('maps A D U C H, J/→ and K/←, and a view’s own keys; other keys are left alone', () => {
    const { calls, actions } = recorder();
    const keys = ['a', 'd', 'u', 'c', 'h', 'j', 'ArrowRight', 'k', 'ArrowLeft', 't'];
    expect(keys.map((k) => verdictKey(k, actions))).toEqual(keys.map(() => true));
    expect(calls).toEqual([
      'agree',
      'disagree',
      'unsure',
      'comment',
      'heatmap',
      'next',
      'next',
      'previous',
      'previous',
      'trust',
    ]);
    expect(verdictKey('x', actions)).toBe(false);
    expect(verdictKey('A', actions)).toBe(false);
    expect(calls).toHaveLength(keys.length);
  });

  it('confirms with Y or Enter and declines with N or Esc', () => {
    const seen: string[] = [];
    const yes = () => seen.push('yes');
    const no = () => seen.push('no');
    expect(['y', 'Enter', 'n', 'Escape', 'a'].map((k) => confirmKey(k, yes, no))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(seen).toEqual(['yes', 'yes', 'no', 'no']);
  });
});
