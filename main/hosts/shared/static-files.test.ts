import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeFor, resolveStaticPath } from './static-files';

const root = path.resolve('/srv/loupe/renderer');

describe('resolveStaticPath', () => {
  it.each([
    ['/', 'index.html'],
    ['/index.html', 'index.html'],
    ['/assets/index-abc.js', 'assets/index-abc.js'],
    ['/assets/a%20b.css', 'assets/a b.css'],
    ['/index.html?x=1#frag', 'index.html'],
  ])('%s → %s', (url, relative) => {
    expect(resolveStaticPath(root, url)).toBe(path.join(root, relative));
  });

  it.each([
    '/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/assets/..%2f..%2f..%2fetc/passwd',
    '/..\\..\\windows',
    '/a%00.js',
    '/%E0%A4%A',
  ])('refuses %s', (url) => {
    expect(resolveStaticPath(root, url)).toBeNull();
  });

  it('maps extensions to content types', () => {
    expect(contentTypeFor('a.js')).toMatch(/javascript/);
    expect(contentTypeFor('a.HTML')).toMatch(/text\/html/);
    expect(contentTypeFor('a.bin')).toBe('application/octet-stream');
  });
});
