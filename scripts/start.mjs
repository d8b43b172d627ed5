#!/usr/bin/env node
// `npm start`: the service on its embedded default. On first run it initialises ./.data (config,
// master key, SQLite file, demo domains and a demo owner key), then serves on port 8080.
// Extra arguments go to `blindpseudo serve` (e.g. `npm start -- --port 9090`).
import { existsSync } from 'node:fs';
import { main } from '../packages/cli/dist/index.js';

if (!existsSync('.data/config.json')) {
  const code = await main(['init']);
  if (code !== 0) process.exit(code);
}
process.exitCode = await main(['serve', ...process.argv.slice(2)]);
