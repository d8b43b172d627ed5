// Every service error code is documented with its status and problem, and every expected error
// the service throws is answered by the one mapping (problems.ts) as the problem of its code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { CodedError, ErrorCodes, PseudoError } from '@blindpseudo/core';
import {
  AdministrationError,
  ConfigError,
  DomainConflictError,
  MasterKeyError,
  OwnerJwksError,
  ProblemKinds,
  SERVICE_ERROR_CODES,
  ServiceError,
  UnknownDomainError,
} from '@blindpseudo/server';
import { problemFromError } from '../src/problems.ts';

it('docs/errors.md lists exactly the service error codes, each with its status and problem', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.split('## `@blindpseudo/server`')[1]!.split('\n## ')[0]!;
  const rows = [...section.matchAll(/^\| `(ERR_SERVER_[A-Z_]+)` +\| (\d+) +\| `(\w+)` +\|/gm)];
  assert.deepEqual(new Set(rows.map((r) => r[1])), new Set(SERVICE_ERROR_CODES));
  for (const [, code, status, kind] of rows) {
    const err = new ServiceError(code as (typeof SERVICE_ERROR_CODES)[number], 'x');
    assert.equal(err.http?.type, kind, code);
    assert.equal(err.http?.status, Number(status), code);
    assert.equal(ProblemKinds[kind as keyof typeof ProblemKinds].status, Number(status), code);
  }
});

it('every expected error of the service is a CodedError answered as the problem of its code', () => {
  const cases: [CodedError, number, string][] = [
    [new ConfigError('config.port', 'must be an integer'), 400, 'badRequest'],
    [new AdministrationError('the domain must be a domain key'), 400, 'badRequest'],
    [new DomainConflictError('another bufferSize'), 400, 'badRequest'],
    [new OwnerJwksError('no RSA key'), 400, 'badRequest'],
    [new UnknownDomainError('nope'), 404, 'resourceNotFound'],
    [new PseudoError(ErrorCodes.INVALID_POINT, 'invalid point'), 400, 'badRequest'],
    [new ServiceError('ERR_SERVER_MISSING_PERMISSION', 'not granted'), 403, 'missingPermission'],
  ];
  for (const [err, status, kind] of cases) {
    assert.ok(err instanceof CodedError);
    const { problem, serverFault } = problemFromError(err, 'req-1');
    assert.equal(problem.status, status, err.name);
    assert.equal(problem.type, `urn:problem-type:belgif:${kind}`, err.name);
    assert.equal(problem.detail, err.message);
    assert.equal(problem.inResponseTo, 'req-1');
    assert.equal(serverFault, false);
  }
});

it('a 500 coded error gets a generic detail and is a server fault; headers go with the problem', () => {
  const fault = problemFromError(new MasterKeyError('stored key domain-scalar:x does not open'));
  assert.equal(fault.problem.status, 500);
  assert.equal(fault.problem.detail, 'the request could not be processed');
  assert.equal(fault.serverFault, true);
  const limited = problemFromError(
    new ServiceError('ERR_SERVER_TOO_MANY_REQUESTS', 'more than 5 requests per second', {
      headers: { 'retry-after': '1' },
    }),
  );
  assert.equal(limited.problem.status, 429);
  assert.deepEqual(limited.headers, { 'retry-after': '1' });
  assert.equal(problemFromError(new Error('boom')).problem.status, 500);
});
