import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OwnerErrorCodes } from '../src/index.js';

test('every owner error code is documented in the README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const codes = Object.values(OwnerErrorCodes);
  assert.equal(codes.length, 10);
  for (const code of codes) assert.match(readme, new RegExp(`^\\| \`${code}\` +\\|`, 'm'), code);
});
