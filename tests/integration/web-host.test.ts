import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendererDir } from '../../main/app/paths';
import { startWebHost, type WebHost } from '../../main/hosts/web/server';
import { encodeFrame } from '../../contract/wire';
import { realServices } from '../helpers/services';
import { connectClient } from '../helpers/ws-client';
import { expectedBackend } from '../helpers/expected-backend';

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

/** Resolves with how an upgrade attempt ended: opened, or the HTTP status / close code. */
function tryUpgrade(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
    socket.once('error', (error) => resolve(`error ${error.message}`));
  });
}

describe('web host (browser mode)', () => {
  let host: WebHost;
  let dispose: () => Promise<void>;
  let cookie: string;
  let wsUrl: string;
  let tmp: string;

  beforeAll(async () => {
    const { services, log } = realServices();
    host = await startWebHost({ services, staticDir: rendererDir(), log });
    dispose = async () => {
      await host.close();
      await services.dispose();
    };
    cookie = `loupe_token=${host.token}`;
    wsUrl = `ws://127.0.0.1:${host.port}/rpc`;
    tmp = mkdtempSync(path.join(os.tmpdir(), 'loupe-web-'));
  });
  afterAll(async () => {
    await dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('listens on loopback only, on a free port', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(host.port).toBeGreaterThan(0);
  });

  it('answers 401 without the token or with a wrong one', async () => {
    expect((await get(host.url)).status).toBe(401);
    expect((await get(`${host.url}?token=wrong`)).status).toBe(401);
    expect((await get(host.url, { cookie: 'loupe_token=wrong' })).status).toBe(401);
    expect((await get(`${host.url}assets/`)).status).toBe(401);
  });

  it('trades the token for an HttpOnly SameSite cookie and drops it from the address', async () => {
    const response = await get(host.launchUrl);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/');
    expect(response.headers['set-cookie']?.[0]).toMatch(/loupe_token=.*HttpOnly; SameSite=Strict/);
  });

  it('serves the UI with a strict CSP once authenticated', async () => {
    const response = await get(host.url, { cookie });
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/<div id="app">/);
    expect(response.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(response.headers['content-security-policy']).not.toMatch(/unsafe-eval/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never serves files outside the UI folder', async () => {
    for (const attempt of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fpackage.json']) {
      const response = await get(`${host.url.slice(0, -1)}${attempt}`, { cookie });
      expect(response.status, attempt).toBe(404);
    }
  });

  it('refuses requests naming another host (DNS rebinding)', async () => {
    const response = await get(host.url, { cookie, host: 'attacker.example' });
    expect(response.status).toBe(403);
  });

  it('closes WebSocket upgrades without the token, with a wrong one, or from another origin', async () => {
    expect(await tryUpgrade(wsUrl, {})).toBe('http 401');
    expect(await tryUpgrade(`${wsUrl}?token=nope`, {})).toBe('http 401');
    expect(await tryUpgrade(wsUrl, { cookie, origin: 'https://evil.example' })).toBe('http 401');
    expect(await tryUpgrade(wsUrl, { cookie })).toBe('open');
  });

  it('carries service calls, validation errors and events over the socket', async () => {
    const { client, socket } = await connectClient(wsUrl, { cookie });
    try {
      expect(await client.invoke('app.info', {})).toMatchObject({ name: 'Loupe', host: 'browser' });
      await expect(client.invoke('workspace.open', { path: 'relative' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
      const changes: unknown[] = [];
      client.on('workspace.changed', (w) => changes.push(w));
      const created = await client.invoke('workspace.open', { path: path.join(tmp, 'ws'), create: true });
      expect(created.name).toBe('ws');
      await new Promise((r) => setTimeout(r, 50));
      expect(changes).toEqual([created]);
      const info = await client.invoke('engine.info', {});
      expect(info.backend).toBe(expectedBackend());
    } finally {
      socket.close();
    }
  });

  it('cancels a long call over the socket', async () => {
    const { client, socket } = await connectClient(wsUrl, { cookie });
    try {
      const call = client.invoke(
        'engine.benchmark',
        { size: 256, iterations: 1000 },
        { requestId: 'bench-1', onProgress: (p) => p.done === 2 && client.cancel('bench-1') },
      );
      await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      socket.close();
    }
  });

  it('drops a socket that speaks something other than the protocol', async () => {
    const socket = new WebSocket(wsUrl, { headers: { cookie } });
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(encodeFrame({ type: 'exec', command: 'rm -rf /' }));
    expect(await closed).toBe(1008);
  });
});

describe('web host on an address the user chose (--host)', () => {
  it('listens there and still asks for the token, over HTTP and the socket', async () => {
    const { services, log } = realServices();
    const host = await startWebHost({ services, staticDir: rendererDir(), log, host: '0.0.0.0' });
    try {
      expect(host.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/$/);
      const base = `http://127.0.0.1:${host.port}/`;
      // A machine on the network names this one by its own address or name.
      const lan = { host: `workstation.lan:${host.port}` };
      expect((await get(base, lan)).status).toBe(401);
      expect((await get(`${base}?token=wrong`, lan)).status).toBe(401);
      expect((await get(base, { ...lan, cookie: `loupe_token=${host.token}` })).status).toBe(200);
      const rpc = `ws://127.0.0.1:${host.port}/rpc`;
      expect(await tryUpgrade(rpc, lan)).not.toBe('open');
      expect(await tryUpgrade(rpc, { ...lan, cookie: `loupe_token=${host.token}` })).toBe('open');
    } finally {
      await host.close();
      await services.dispose();
    }
  });
});
