// Core must run unchanged in browsers: no Node types, no Node modules, randomness from WebCrypto.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { it } from 'node:test';

const pkg = new URL('../', import.meta.url);

it('compiles with "types": [] (no Node types reachable)', () => {
  const tsconfig = JSON.parse(readFileSync(new URL('tsconfig.json', pkg), 'utf8'));
  assert.deepEqual(tsconfig.compilerOptions.types, []);
  const tsc = new URL('../../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
  execFileSync(process.execPath, [tsc, '--noEmit', '-p', new URL('tsconfig.json', pkg).pathname], { stdio: 'pipe' });
});

it('imports nothing from Node and names no Node globals', () => {
  const dir = new URL('src/', pkg);
  for (const file of readdirSync(dir)) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    assert.doesNotMatch(text, /from ['"]node:|require\(|\bBuffer\b|\bprocess\./, file);
  }
});
