// Every error code is documented, and every documented code exists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { ErrorCodes, PseudoError, isPseudoError } from '@blindpseudo/core';

it('docs/errors.md lists exactly the core error codes', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.split('## `@blindpseudo/core`')[1]!.split('\n## ')[0]!;
  const documented = new Set([...section.matchAll(/`(ERR_PSEUDO_[A-Z_]+)`/g)].map((m) => m[1]));
  assert.deepEqual(documented, new Set(Object.values(ErrorCodes)));
});

it('PseudoError carries its code and is recognised', () => {
  const err = new PseudoError(ErrorCodes.INVALID_POINT, 'x');
  assert.ok(err instanceof Error);
  assert.ok(isPseudoError(err, ErrorCodes.INVALID_POINT));
  assert.ok(!isPseudoError(err, ErrorCodes.INVALID_SCALAR));
  assert.ok(!isPseudoError(new Error('x')));
});
