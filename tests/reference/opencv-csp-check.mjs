// Does opencv-wasm load in a page under Loupe's Content-Security-Policy? Run it by hand:
//   node tests/reference/opencv-csp-check.mjs
// It serves opencv-wasm's browser build to Debian's Chromium under three policies and prints what
// happened. Result (opencv-wasm 4.3.0-10): Emscripten's embind builds its call wrappers with
// `new Function`, so the library needs 'unsafe-eval' — 'wasm-unsafe-eval' is not enough — which
// Loupe's CSP forbids. That is why the magic wand runs contract/geometry/region-grow.ts in the
// page, and opencv-wasm serves only as the reference it is tested against (under Node).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';

const dir = path.join(import.meta.dirname, '..', '..', 'node_modules', 'opencv-wasm');
const POLICIES = [
  "default-src 'self'; script-src 'self'",
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
  "default-src 'self'; script-src 'self' 'unsafe-eval'",
];
const page =
  '<!doctype html><html><body><script src="/opencv.js"></script><script src="/probe.js"></script></body></html>';
const probe =
  "setTimeout(() => { document.title = typeof cv !== 'undefined' && typeof cv.floodFill === 'function' ? 'LOADED' : 'NOT LOADED'; }, 4000);";

for (const csp of POLICIES) {
  const server = http
    .createServer((req, res) => {
      const headers = { 'Content-Security-Policy': csp };
      const files = { '/': [page, 'text/html'], '/probe.js': [probe, 'text/javascript'] };
      if (files[req.url])
        return res.writeHead(200, { ...headers, 'Content-Type': files[req.url][1] }).end(files[req.url][0]);
      if (req.url === '/opencv.js')
        return res
          .writeHead(200, { ...headers, 'Content-Type': 'text/javascript' })
          .end(readFileSync(path.join(dir, 'opencv.js')));
      if (req.url === '/opencv.wasm')
        return res
          .writeHead(200, { ...headers, 'Content-Type': 'application/wasm' })
          .end(readFileSync(path.join(dir, 'opencv.wasm')));
      res.writeHead(404).end();
    })
    .listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const browser = await chromium.launch({
    executablePath: process.env.LOUPE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  const tab = await browser.newPage();
  const errors = [];
  tab.on('pageerror', (error) => errors.push(error.message.split('\n')[0].slice(0, 160)));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForTimeout(5000);
  console.log(`${csp}\n  → ${await tab.title()}${errors.length ? `: ${errors[0]}` : ''}`);
  await browser.close();
  server.close();
}
