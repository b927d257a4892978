#!/usr/bin/env node
// Part of `npm run lint`: Electronegativity (Doyensec's Electron security scanner) over the built
// main and preload code. Any HIGH finding fails the lint. Uses the programmatic API because the
// package's CLI breaks against a newer hoisted commander.
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity');
const root = path.resolve(import.meta.dirname, '..');
const electronVersion = require('electron/package.json').version;
const parts = ['out/main', 'out/preload'];

// Main and preload are scanned as one app, so global checks (navigation limits, permission
// handler) see the handlers main installs for the windows the preload runs in.
const input = mkdtempSync(path.join(os.tmpdir(), 'loupe-electronegativity-'));
for (const part of parts) {
  const source = path.join(root, part);
  if (!existsSync(source)) {
    console.error(`electronegativity: ${part} is missing; run \`npm run build\` first.`);
    process.exit(2);
  }
  cpSync(source, path.join(input, path.basename(part)), { recursive: true });
}

// The scanner asks a web server for translations; keep its logs quiet when that fails offline.
const quiet = console.warn;
console.warn = () => {};
let high = 0;
let total = 0;
try {
  {
    const result = await run({ input, electronVersionOverride: electronVersion, isRelative: true });
    for (const error of result.errors.filter((e) => !e.tolerable)) {
      console.error(`electronegativity: could not parse ${error.file}: ${error.message}`);
      process.exitCode = 1;
    }
    for (const issue of result.issues) {
      total++;
      const severity = issue.severity.name ?? String(issue.severity.value);
      if (severity === 'HIGH') high++;
      console.log(
        `${severity.padEnd(13)} ${issue.id.padEnd(40)} ${path.join('out', issue.file)}:${issue.location.line}`,
      );
    }
  }
} finally {
  console.warn = quiet;
  rmSync(input, { recursive: true, force: true });
}
console.log(`electronegativity: ${total} finding(s), ${high} HIGH, in ${parts.join(' and ')}`);
if (high > 0) process.exitCode = 1;
