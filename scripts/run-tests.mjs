#!/usr/bin/env node
// Runs every package's tests in one node:test run, so that one summary closes the output.
// Tests run on the TypeScript sources (the "source" export condition, loaded by tsx).
// Usage: node scripts/run-tests.mjs [substring filter …]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = [];
for (const base of ['packages', 'examples']) {
  try {
    for (const pkg of readdirSync(join(root, base))) {
      const testDir = join(root, base, pkg, 'test');
      try {
        if (statSync(testDir).isDirectory()) collect(testDir, files);
      } catch {
        // a package without tests
      }
    }
  } catch {
    // no such folder yet
  }
}
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', '--test-concurrency=2', ...selected],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
