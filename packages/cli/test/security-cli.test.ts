/** The security commands: principals, access grants, and the audit log's verification and export. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import { buildApp, loadConfigFile } from '@blindpseudo/server';
import { type CliRun, runCli } from './support.ts';

const run = (cwd: string, ...argv: string[]): Promise<CliRun> => runCli(argv, { cwd });

/** An initialised directory whose service has answered a few requests (so the log has records). */
async function servedDirectory(): Promise<{ cwd: string; token: string; db: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-sec-'));
  const token = /demo token\s+(\S+)/.exec((await run(cwd, 'init')).out)![1]!;
  const config = await loadConfigFile(join(cwd, '.data/config.json'));
  const app = await buildApp({ ...config, logLevel: 'silent' }, { env: {} });
  try {
    const headers = { authorization: `Bearer ${token}` };
    const b = await blind(encodeValue('85073003328'));
    for (let i = 0; i < 3; i++)
      await app.inject({
        method: 'POST',
        url: '/pseudo/v1/domains/uhmep_v1/pseudonymize',
        headers,
        payload: { crv: 'P-521', ...pointToJson(b.point) },
      });
    await app.inject({ method: 'GET', url: '/pseudo/v1/domains/uhmep_v1' });
    await app.inject({ method: 'GET', url: '/pseudo/v1/domains/uhmep_v1', headers });
  } finally {
    await app.close();
  }
  return { cwd, token, db: config.storage.file };
}

describe('blindpseudo audit', () => {
  it('verify passes on an intact log; export writes JSON lines without values', async () => {
    const { cwd, token } = await servedDirectory();
    const verified = await run(cwd, 'audit', 'verify');
    assert.equal(verified.code, 0, verified.err);
    assert.match(verified.out, /audit log intact: 5 records in 1 chain\(s\)\n  chain main: head 5 [0-9a-f]{64}/);
    const exported = await run(cwd, 'audit', 'export');
    const records = exported.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(records.length, 5);
    assert.deepEqual(
      records.map((r) => [r.principal, r.operation, r.domainKey, r.items, r.status, r.outcome]),
      [
        ['demo', 'pseudonymize', 'uhmep_v1', 1, 200, 'success'],
        ['demo', 'pseudonymize', 'uhmep_v1', 1, 200, 'success'],
        ['demo', 'pseudonymize', 'uhmep_v1', 1, 200, 'success'],
        [null, 'getDomain', 'uhmep_v1', 0, 401, 'noAccessToken'],
        ['demo', 'getDomain', 'uhmep_v1', 0, 200, 'success'],
      ],
    );
    assert.deepEqual(Object.keys(records[0]).sort(), [
      'callerRequestId',
      'chain',
      'domainKey',
      'hash',
      'items',
      'operation',
      'outcome',
      'peer',
      'prevHash',
      'principal',
      'requestId',
      'seq',
      'status',
      'time',
      'toDomainKey',
    ]);
    assert.equal(exported.out.includes(token), false);
  });

  it('verify reports an edited record, naming it', async () => {
    const { cwd, db } = await servedDirectory();
    const sqlite = new Database(db);
    sqlite
      .prepare(
        `UPDATE audit_records SET record = replace(record, '"principal":"demo"', '"principal":"other"') WHERE seq = 2`,
      )
      .run();
    sqlite.close();
    const { code, err } = await run(cwd, 'audit', 'verify');
    assert.equal(code, 1);
    assert.match(err, /record 2 was changed/);
  });

  it('verify reports an edited record whose hash was recomputed (the next link breaks)', async () => {
    const { cwd, db } = await servedDirectory();
    const sqlite = new Database(db);
    // Flip the first hex digit (always a change, whatever the digit was).
    sqlite
      .prepare(
        "UPDATE audit_records SET hash = CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END || substr(hash, 2) WHERE seq = 3",
      )
      .run();
    sqlite.close();
    const { code, err } = await run(cwd, 'audit', 'verify');
    assert.equal(code, 1);
    assert.match(err, /record 3 was changed/);
    assert.match(err, /record 4 does not chain to record 3/);
  });

  it('verify reports a deleted record, in the middle or at the end', async () => {
    const { cwd, db } = await servedDirectory();
    let sqlite = new Database(db);
    sqlite.prepare('DELETE FROM audit_records WHERE seq = 3').run();
    sqlite.close();
    let result = await run(cwd, 'audit', 'verify');
    assert.equal(result.code, 1);
    assert.match(result.err, /record 3 deleted \(before record 4\)/);

    const other = await servedDirectory();
    sqlite = new Database(other.db);
    sqlite.prepare('DELETE FROM audit_records WHERE seq = 5').run();
    sqlite.close();
    result = await run(other.cwd, 'audit', 'verify');
    assert.equal(result.code, 1);
    assert.match(result.err, /record 5 deleted \(the end of the log\)/);
  });
});

describe('blindpseudo principal and access', () => {
  it('adds, lists, revokes principals and grants access; a running service applies it at the next request', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-sec-'));
    await run(cwd, 'init');
    const config = await loadConfigFile(join(cwd, '.data/config.json'));
    const added = await run(cwd, 'principal', 'add', 'pharmacist-42', '--group', 'pharmacists');
    assert.equal(added.code, 0, added.err);
    assert.match((await run(cwd, 'principal', 'list')).out, /^pharmacist-42\tactive\tpharmacists\t$/m);
    assert.equal((await run(cwd, 'access', 'grant', 'uhmep_v1', 'identify', 'group:pharmacists')).out, 'granted\n');
    assert.equal(
      (await run(cwd, 'access', 'grant', 'uhmep_v1', 'identify', 'group:pharmacists')).out,
      'granted already\n',
    );
    assert.match((await run(cwd, 'access', 'list')).out, /^uhmep_v1\tidentify\tgroup:pharmacists$/m);
    const bad = await run(cwd, 'access', 'grant', 'uhmep_v1', 'fly', 'group:pharmacists');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /operation must be one of/);
    assert.equal((await run(cwd, 'access', 'grant', 'nope_v1', 'identify', '*')).code, 1);
    assert.equal((await run(cwd, 'access', 'grant', 'uhmep_v1')).code, 2);

    // The service reads grants and revocations per request.
    const app = await buildApp({ ...config, logLevel: 'silent' }, { env: {} });
    try {
      const token = JSON.parse(readFileSync(join(cwd, '.data/config.json'), 'utf8')).auth.development.staticTokens[0]
        .token as string;
      const headers = { authorization: `Bearer ${token}` };
      const doc = async () => (await app.inject({ url: '/pseudo/v1/domains/uhmep_v1', headers })).statusCode;
      assert.equal(await doc(), 200);
      assert.equal((await run(cwd, 'principal', 'revoke', 'demo')).out, 'principal demo revoked\n');
      assert.equal(await doc(), 401);
      assert.equal((await run(cwd, 'principal', 'reinstate', 'demo')).out, 'principal demo reinstated\n');
      assert.equal(await doc(), 200);
      const effective = (await app.inject({ url: '/pseudo/v1/domains/uhmep_v1', headers })).json().accessRule;
      assert.deepEqual(effective.identify, ['group:demo', 'group:pharmacists']);
    } finally {
      await app.close();
    }
    assert.equal((await run(cwd, 'access', 'revoke', 'uhmep_v1', 'identify', 'group:pharmacists')).out, 'revoked\n');
    assert.equal((await run(cwd, 'principal', 'revoke-certificate', 'xyz')).code, 1);
    assert.equal((await run(cwd, 'principal', 'revoke-certificate', 'ab'.repeat(32))).out, 'certificate revoked\n');
  });
});
