/**
 * Browser mode's gate. The server listens on loopback, but any local process or any web page
 * the user visits could still reach a loopback port; the per-start token (taken once from the
 * URL, then kept in an HttpOnly, SameSite=Strict cookie) proves the caller was shown it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../../security/url-policy';

export const TOKEN_COOKIE = 'loupe_token';
export const TOKEN_PARAM = 'token';
/** 32 random bytes: not guessable, not brute-forceable over HTTP. */
const TOKEN_BYTES = 32;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Constant-time comparison, so response timing does not leak the token byte by byte. */
export function tokensEqual(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** How a request proved itself: by the URL parameter, the cookie, or not at all. */
export function authenticate(request: IncomingMessage, token: string): 'param' | 'cookie' | null {
  const url = new URL(request.url ?? '/', 'http://placeholder');
  if (tokensEqual(url.searchParams.get(TOKEN_PARAM), token)) return 'param';
  if (tokensEqual(cookieValue(request.headers.cookie, TOKEN_COOKIE), token)) return 'cookie';
  return null;
}

/**
 * On a loopback listener, the Host header must name loopback too. Prevents DNS rebinding: a
 * web page whose domain resolves to 127.0.0.1 still sends its own name as Host and is refused.
 */
export function hostAllowed(request: IncomingMessage, listeningOnLoopback: boolean): boolean {
  if (!listeningOnLoopback) return true;
  const host = request.headers.host;
  if (!host) return false;
  const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return isLoopbackHost(hostname);
}

/**
 * WebSocket upgrades carry the browser's Origin; it must be this server. Prevents another site
 * open in the same browser from riding the cookie (cross-site WebSocket hijacking).
 */
export function originAllowed(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (!origin) return true; // Not a browser (CLI tools, tests); the token still applies.
  const host = request.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}
