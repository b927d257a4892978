#!/usr/bin/env node
/**
 * Builds Loupe's oneDNN addon (native/onednn) at `npm install` with the node-gyp that npm
 * bundles, against this Node's own headers (nothing is downloaded). Never fails the install:
 * where oneDNN or a C++ compiler is missing, Loupe trains on wasm and this says, in one line,
 * what turns native speed on.
 *
 *   node scripts/build-native.mjs   (also: npm run build:native)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const addonDir = path.join(root, 'native', 'onednn');
const HINT =
  'for native speed: sudo apt-get install libdnnl-dev g++ (macOS: brew install onednn), then npm run build:native';

/** Where oneDNN's headers may be: Debian/Ubuntu and most Linux, /usr/local, Homebrew. */
const INCLUDE_DIRS = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'];

function say(line) {
  console.log(`loupe: ${line}`);
}

function nodeGyp() {
  // npm sets this for install scripts; outside npm, use the node-gyp inside npm's own folder.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp))
    return process.env.npm_config_node_gyp;
  const npmDir = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  const candidates = [path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  try {
    candidates.push(createRequire(path.join(npmDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // npm is elsewhere; the first candidate is reported missing below.
  }
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** This Node's headers: node-gyp would otherwise download them, which fails offline. */
function nodeDir() {
  const dir = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(dir, 'include', 'node', 'node_api.h')) ? dir : null;
}

function main() {
  if (process.env.LOUPE_SKIP_NATIVE) {
    say(`LOUPE_SKIP_NATIVE is set: the oneDNN addon is not built; training runs on wasm (${HINT}).`);
    return;
  }
  if (!INCLUDE_DIRS.some((dir) => existsSync(path.join(dir, 'oneapi', 'dnnl', 'dnnl.hpp')))) {
    say(`oneDNN is not installed, so training runs on wasm (${HINT}).`);
    return;
  }
  const gyp = nodeGyp();
  const headers = nodeDir();
  if (!gyp || !headers) {
    say(
      `cannot build the oneDNN addon (${gyp ? "this Node's headers are missing" : 'node-gyp was not found'}); training runs on wasm.`,
    );
    return;
  }
  const started = Date.now();
  const build = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${headers}`], {
    cwd: addonDir,
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    const output = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim().split('\n');
    console.log(output.slice(-12).join('\n'));
    say(`the oneDNN addon did not build (above); training runs on wasm (${HINT}).`);
    return;
  }
  say(
    `built the oneDNN addon in ${((Date.now() - started) / 1000).toFixed(0)} s: training runs natively on every core.`,
  );
}

main();
