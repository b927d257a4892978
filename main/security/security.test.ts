import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, securityHeaders } from './csp';
import { isAppUrl, isLoopbackHost, isSafeExternalUrl } from './url-policy';

describe('contentSecurityPolicy', () => {
  const csp = contentSecurityPolicy();
  const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `));

  it('never allows eval or inline script', () => {
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).not.toMatch(/unsafe-inline/);
    expect(directive('script-src')).toBe("script-src 'self'");
  });

  it('blocks plugins, base rewriting, framing and form posts', () => {
    expect(directive('object-src')).toBe("object-src 'none'");
    expect(directive('base-uri')).toBe("base-uri 'none'");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(directive('form-action')).toBe("form-action 'none'");
  });

  it('adds extra connect origins', () => {
    expect(contentSecurityPolicy({ connect: ['ws://127.0.0.1:9'] })).toMatch(
      /connect-src 'self' ws:\/\/127\.0\.0\.1:9/,
    );
  });

  it('comes with nosniff and no-referrer headers', () => {
    expect(securityHeaders()).toMatchObject({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
  });
});

describe('url policy', () => {
  it.each([
    ['app://loupe/index.html', true],
    ['app://loupe/#/train', true],
    ['app://other/index.html', false],
    ['https://loupe/', false],
    ['file:///etc/passwd', false],
    ['not a url', false],
  ])('isAppUrl(%s) = %s', (url, expected) => expect(isAppUrl(url)).toBe(expected));

  it.each([
    ['https://github.com/loupe', true],
    ['http://example.org/docs', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['smb://server/share', false],
    ['https://user:pass@example.org/', false],
    ['app://loupe/index.html', false],
    ['', false],
  ])('isSafeExternalUrl(%s) = %s', (url, expected) => expect(isSafeExternalUrl(url)).toBe(expected));

  it.each([
    ['127.0.0.1', true],
    ['127.4.5.6', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['192.168.1.10', false],
    ['loupe.example', false],
  ])('isLoopbackHost(%s) = %s', (host, expected) => expect(isLoopbackHost(host)).toBe(expected));
});
