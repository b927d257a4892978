import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { authenticate, cookieValue, hostAllowed, newToken, originAllowed, tokensEqual } from './auth';

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

describe('browser-mode auth', () => {
  const token = newToken();

  it('makes long, distinct tokens', () => {
    expect(token.length).toBeGreaterThanOrEqual(43);
    expect(newToken()).not.toBe(token);
  });

  it('compares tokens exactly', () => {
    expect(tokensEqual(token, token)).toBe(true);
    expect(tokensEqual(token.slice(0, -1), token)).toBe(false);
    expect(tokensEqual('', token)).toBe(false);
    expect(tokensEqual(null, token)).toBe(false);
  });

  it('accepts the token as a parameter or a cookie, and nothing else', () => {
    expect(authenticate(request(`/?token=${token}`), token)).toBe('param');
    expect(authenticate(request('/', { cookie: `a=b; loupe_token=${token}` }), token)).toBe('cookie');
    expect(authenticate(request('/'), token)).toBeNull();
    expect(authenticate(request('/?token=wrong'), token)).toBeNull();
    expect(authenticate(request('/', { cookie: 'loupe_token=wrong' }), token)).toBeNull();
    expect(authenticate(request('/', { authorization: `Bearer ${token}` }), token)).toBeNull();
  });

  it('parses cookies', () => {
    expect(cookieValue('a=1; b=2', 'b')).toBe('2');
    expect(cookieValue('a=1', 'b')).toBeNull();
    expect(cookieValue(undefined, 'b')).toBeNull();
  });

  it('refuses foreign Host headers on a loopback listener (DNS rebinding)', () => {
    expect(hostAllowed(request('/', { host: '127.0.0.1:5000' }), true)).toBe(true);
    expect(hostAllowed(request('/', { host: 'localhost:5000' }), true)).toBe(true);
    expect(hostAllowed(request('/', { host: '[::1]:5000' }), true)).toBe(true);
    expect(hostAllowed(request('/', { host: 'attacker.example:5000' }), true)).toBe(false);
    expect(hostAllowed(request('/', {}), true)).toBe(false);
    expect(hostAllowed(request('/', { host: 'workstation.lan:5000' }), false)).toBe(true);
  });

  it('refuses WebSocket upgrades from another origin', () => {
    expect(originAllowed(request('/rpc', { host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000' }))).toBe(true);
    expect(originAllowed(request('/rpc', { host: '127.0.0.1:5000', origin: 'https://evil.example' }))).toBe(false);
    expect(originAllowed(request('/rpc', { host: '127.0.0.1:5000' }))).toBe(true);
  });
});
