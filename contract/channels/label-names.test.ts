import { describe, expect, it } from 'vitest';
import { checkLabelName, MAX_LABEL_NAME } from './labels';

describe('task and class names', () => {
  it('are trimmed', () => {
    expect(checkLabelName('  crack ')).toEqual({ name: 'crack' });
    expect(checkLabelName('Ground-glass opacity, peripheral')).toEqual({ name: 'Ground-glass opacity, peripheral' });
  });

  it('refuse empty, multi-line, control-character and overlong names, quoting the value', () => {
    expect(checkLabelName('')).toEqual({ problem: 'A name is required (got "").' });
    expect(checkLabelName('   ')).toEqual({ problem: 'A name is required (got "").' });
    expect(checkLabelName('a\nb')).toEqual({
      problem: 'A name cannot contain control characters or line breaks: "a\\nb".',
    });
    expect(checkLabelName('a\u0001b')).toEqual({
      problem: 'A name cannot contain control characters or line breaks: "a\\u0001b".',
    });
    expect(checkLabelName('a\u007fb')).toMatchObject({ problem: expect.stringMatching(/control characters/) });
    expect(checkLabelName('a\u2028b')).toMatchObject({ problem: expect.stringMatching(/line breaks/) });
    expect(checkLabelName('x'.repeat(100_000))).toEqual({
      problem: `Names are at most ${MAX_LABEL_NAME} characters; "${'x'.repeat(40)}…" has 100000.`,
    });
    expect(checkLabelName('x'.repeat(MAX_LABEL_NAME))).toEqual({ name: 'x'.repeat(MAX_LABEL_NAME) });
  });
});
