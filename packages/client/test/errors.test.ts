import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ClientErrorCodes } from '../src/index.js';

test('every client error code is documented in the README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const codes = Object.values(ClientErrorCodes);
  assert.equal(codes.length, 7);
  for (const code of codes) assert.match(readme, new RegExp(`^\\| \`${code}\` +\\|`, 'm'), code);
});
