/**
 * Browser mode: the built UI over HTTP and the contract over a WebSocket, on loopback, behind a
 * per-start token. Same services, same dispatcher as the Electron window.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { securityHeaders } from '../../security/csp';
import { isLoopbackHost } from '../../security/url-policy';
import type { Services } from '../../services/index';
import type { Logger } from '../../services/logger';
import { contentTypeFor, resolveStaticPath } from '../shared/static-files';
import { TOKEN_PARAM, authenticate, hostAllowed, newToken, originAllowed, tokenCookie } from './auth';
import { attachSocket } from './socket-bridge';

export const DEFAULT_HOST = '127.0.0.1';
/** The WebSocket endpoint of the contract. */
export const RPC_PATH = '/rpc';

export interface WebHostOptions {
  services: Services;
  /** The built renderer folder. */
  staticDir: string;
  log: Logger;
  /** Address to listen on; loopback unless the user passed --host. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Tests may fix the token; otherwise a fresh one per start. */
  token?: string;
}

export interface WebHost {
  readonly url: string;
  /** The URL with the token, to open once. */
  readonly launchUrl: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const host = options.host ?? DEFAULT_HOST;
  const token = options.token ?? newToken();
  const loopback = isLoopbackHost(host);
  const server = createServer((request, response) => {
    void handleHttp(request, response, options, token, loopback);
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://placeholder').pathname;
    if (
      path !== RPC_PATH ||
      !hostAllowed(request, loopback) ||
      !originAllowed(request) ||
      !authenticate(request, token)
    ) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => attachSocket(ws, options.services, options.log));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  return {
    url,
    launchUrl: `${url}?${TOKEN_PARAM}=${token}`,
    token,
    port,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Largest WebSocket message accepted from the UI (a full-resolution mask upload fits). */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

async function handleHttp(
  request: IncomingMessage,
  response: ServerResponse,
  options: WebHostOptions,
  token: string,
  loopback: boolean,
): Promise<void> {
  const headers = securityHeaders();
  if (!hostAllowed(request, loopback)) {
    response
      .writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', ...headers })
      .end('Loupe answers on its own address only.');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', ...headers }).end();
    return;
  }
  const how = authenticate(request, token);
  if (!how) {
    response
      .writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', ...headers })
      .end('Loupe needs the address with the token that was printed when it started.');
    return;
  }
  const url = new URL(request.url ?? '/', 'http://placeholder');
  if (how === 'param') {
    // Keep the token out of the address bar and history: trade it for a cookie and redirect.
    url.searchParams.delete(TOKEN_PARAM);
    response
      .writeHead(302, { Location: `${url.pathname}${url.search}`, 'Set-Cookie': tokenCookie(token), ...headers })
      .end();
    return;
  }
  const file = resolveStaticPath(options.staticDir, url.pathname);
  if (!file) {
    response.writeHead(404, headers).end();
    return;
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, {
      'Content-Type': contentTypeFor(file),
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
      ...headers,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    response.writeHead(404, headers).end();
  }
}
