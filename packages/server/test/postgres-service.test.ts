/**
 * The service on PostgreSQL: `config.storage.postgres` is validated with exact paths, and two
 * services on one database share the domains (same keys, so the same pseudonyms) and one audit
 * chain that verifies.
 */
import assert from 'node:assert/strict';
import { GENERATOR, nobleMultiplier } from '@blindpseudo/core';
import { after, describe, it } from 'node:test';
import { type PostgresCluster, postgresMissing, startPostgres } from '../../../test-support/postgres.ts';
import { verifyAuditLog } from '../src/audit.js';
import { validateConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { PostgresStorage } from '../src/storage/postgres.js';
import { type TestService, startTestService } from '../src/testing.js';
import { pseudonymize } from './helpers.ts';

function bad(storage: unknown): string {
  try {
    validateConfig({ storage }, '/srv');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('accepted');
}

describe('config.storage.postgres', () => {
  it('is validated with the exact path of each wrong setting', () => {
    assert.equal(bad({ postgres: {} }), 'config.storage.postgres.url: must be a non-empty string');
    assert.equal(bad({ postgres: { url: 'mysql://x' } }), 'config.storage.postgres.url: must be a postgres:// URL');
    assert.equal(
      bad({ postgres: { url: 'postgres://h/db', poolSize: 0 } }),
      'config.storage.postgres.poolSize: must be an integer 1..1000',
    );
    assert.equal(
      bad({ postgres: { url: 'postgres://h/db', tls: { certFile: 'c.pem' } } }),
      'config.storage.postgres.tls: give both certFile and keyFile, or neither',
    );
    assert.equal(bad({ kind: 'postgres' }), 'config.storage.postgres: is required');
    assert.equal(bad({ kind: 'mysql' }), 'config.storage.kind: must be "sqlite" or "postgres"');
  });

  it('fills defaults and resolves TLS files against the config directory', () => {
    const { storage } = validateConfig(
      { storage: { postgres: { url: 'postgres://h/db', tls: { caFile: 'ca.pem' } } } },
      '/srv',
    );
    assert.equal(storage.kind, 'postgres');
    assert.deepEqual(storage.postgres, {
      url: 'postgres://h/db',
      poolSize: 10,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 2000,
      tls: { caFile: '/srv/ca.pem', rejectUnauthorized: true },
    });
  });
});

describe('two services on one PostgreSQL database', { skip: postgresMissing() }, () => {
  let cluster: PostgresCluster | undefined;
  after(async () => cluster?.stop());

  it('share the domains, their keys and one audit chain', async () => {
    cluster = await startPostgres();
    const storage = { postgres: { url: await cluster.createDatabase() } };
    const a = await startTestService({ domains: [{ key: 'shared_v1' }], storage });
    // The same master key (dataDir holds it) on another port.
    const b = await startTestService({ domains: [{ key: 'shared_v1' }], storage, dataDir: a.dataDir, port: 0 });
    try {
      // The same domain scalar: the same multiple of the generator.
      const kG = (svc: TestService) =>
        svc.app.domains.scalars.multiply(
          GENERATOR,
          [{ scalar: svc.app.domains.get('shared_v1').scalar, inverse: false }],
          1n,
          nobleMultiplier,
        );
      assert.deepEqual(await kG(a), await kG(b));
      await pseudonymize(a, 'shared_v1', 'one value');
      await pseudonymize(b, 'shared_v1', 'another value');
    } finally {
      await a.close();
      await b.close();
    }
    const shared = new PostgresStorage(validateConfig({ storage }, '/').storage.postgres!);
    try {
      const verification = await verifyAuditLog(shared);
      assert.deepEqual(verification.findings, []);
      assert.equal(verification.records, 2);
    } finally {
      await shared.close();
    }
  });
});
