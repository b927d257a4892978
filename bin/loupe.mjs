#!/usr/bin/env node
// Runs the built CLI. `npm install` builds it (the prepare script); after editing sources run `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('loupe: Loupe is not built yet. Run `npm run build` in the Loupe folder first.');
  process.exit(2);
}
await import(entry.href);
