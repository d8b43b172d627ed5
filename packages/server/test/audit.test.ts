/**
 * The audit log: records keep any input byte for byte (lone surrogates, NUL, any Unicode) so that
 * verification passes; several chains (one per instance) verified together, with a deleted middle
 * record and a cut tail found in each; records of requests answered together committed in one
 * transaction; records of the unchained log carried over on upgrade.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import { AuditLog, readAuditLog, verifyAuditLog } from '../src/audit.js';
import type { AuditEntry } from '../src/audit-record.js';
import { MIGRATIONS, MIGRATIONS_TABLE_SQL } from '../src/storage/migrations/index.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { Storage } from '../src/storage/storage.js';
import { startTestService } from '../src/testing.js';

const ODD_IDS = [
  '\ud800', // a lone high surrogate
  '\udfff', // a lone low surrogate
  'x\udc00y\ud83d', // lone surrogates inside text
  'nul\u0000inside',
  '\uffff\ufffe', // noncharacters
  '😀 emoji \u{1f9d1}\u200d\u{1f52c}',
  'e\u0301\u0327 combining marks',
  '\u202eright-to-left',
  'tab\tnewline\n"quote"\\',
  '\u007f\u0080\u00ff',
];

async function tempStorage(): Promise<{ storage: SqliteStorage; file: string }> {
  const file = join(await mkdtemp(join(tmpdir(), 'blindpseudo-audit-')), 'audit.db');
  const storage = new SqliteStorage(file);
  await storage.migrate();
  return { storage, file };
}

function entry(n: number, callerRequestId: string | null = null): AuditEntry {
  return {
    principal: `p${n}`,
    operation: 'pseudonymize',
    domainKey: 'd_v1',
    toDomainKey: null,
    items: 1,
    status: 200,
    outcome: 'success',
    requestId: `r${n}`,
    callerRequestId,
    peer: '127.0.0.1',
  };
}

describe('audit records keep any input', () => {
  it('odd Unicode ids: answered, recorded exactly as sent, and audit verify passes', async () => {
    const svc = await startTestService({ domains: [{ key: 'odd_v1' }] });
    try {
      const b = await blind(encodeValue('85073003328'));
      for (const id of ODD_IDS) {
        const res = await fetch(`${svc.baseUrl}/domains/odd_v1/pseudonymize`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, crv: 'P-521', ...pointToJson(b.point) }),
        });
        assert.ok(res.status === 200 || res.status === 400, `status ${res.status}`);
        await res.arrayBuffer();
      }
      const result = await verifyAuditLog(svc.app.storage);
      assert.deepEqual(result.findings, []);
      assert.equal(result.ok, true);
      const recorded: (string | null)[] = [];
      for await (const r of readAuditLog(svc.app.storage)) recorded.push(r.callerRequestId);
      assert.deepEqual(recorded, ODD_IDS);
    } finally {
      await svc.close();
    }
  });

  it('the stored text is ASCII and hashed as stored', async () => {
    const { storage } = await tempStorage();
    const log = new AuditLog(storage, Date.now);
    await Promise.all(ODD_IDS.map((id, i) => log.append(entry(i, id))));
    const records = await storage.readAudit('main', 0, 100);
    assert.equal(records.length, ODD_IDS.length);
    for (const r of records) {
      assert.match(r.record, /^[\x20-\x7e]+$/);
      const hash = createHash('sha256').update(`${r.prevHash}\n${r.record}`).digest('hex');
      assert.equal(hash, r.hash);
    }
    assert.equal((await verifyAuditLog(storage)).ok, true);
    await storage.close();
  });
});

describe('answered only once audited', () => {
  it('a record that cannot be written turns the answer into a 503 problem with Retry-After, and the service not ready', async () => {
    const svc = await startTestService({ domains: [{ key: 'closed_v1' }] });
    const db = new Database(join(svc.dataDir, 'blindpseudo.db'));
    try {
      const b = await blind(encodeValue('85073003328'));
      const call = () =>
        svc.app.inject({
          method: 'POST',
          url: '/pseudo/v1/domains/closed_v1/pseudonymize',
          payload: { id: 'req-1', crv: 'P-521', ...pointToJson(b.point) },
        });
      assert.equal((await call()).statusCode, 200);
      // Only the audit write fails: everything else the request does still works.
      db.exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records BEGIN SELECT RAISE(FAIL, 'refused'); END");
      const refused = await call();
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.headers['retry-after'], '1');
      assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
      const body = refused.json();
      assert.equal(body.type, 'urn:problem-type:belgif:serviceUnavailable');
      assert.equal(body.inResponseTo, 'req-1');
      assert.equal(body.transitInfo, undefined);
      assert.equal((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
      assert.equal((await svc.app.inject({ method: 'GET', url: '/livez' })).statusCode, 200);

      db.exec('DROP TRIGGER refuse_audit');
      assert.equal((await call()).statusCode, 200);
      assert.equal((await svc.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      const statuses = [];
      for await (const r of readAuditLog(svc.app.storage)) statuses.push(r.status);
      assert.deepEqual(statuses, [200, 200]);
    } finally {
      db.close();
      await svc.close();
    }
  });
});

describe('audit chains', () => {
  it('several chains (one per instance) are verified together; a deleted middle record and a cut tail are found in each', async () => {
    const { storage, file } = await tempStorage();
    const a = new AuditLog(storage, Date.now, { chain: 'instance-a' });
    const b = new AuditLog(storage, Date.now, { chain: 'instance-b' });
    for (let i = 1; i <= 5; i++) await Promise.all([a.append(entry(i)), b.append(entry(100 + i))]);
    let result = await verifyAuditLog(storage);
    assert.equal(result.ok, true, result.findings.join('\n'));
    assert.equal(result.records, 10);
    assert.deepEqual(
      result.chains.map((c) => [c.chain, c.records, c.head?.seq]),
      [
        ['instance-a', 5, 5],
        ['instance-b', 5, 5],
      ],
    );

    const sqlite = new Database(file);
    sqlite.prepare("DELETE FROM audit_records WHERE chain = 'instance-a' AND seq = 3").run();
    sqlite.prepare("DELETE FROM audit_records WHERE chain = 'instance-b' AND seq >= 4").run();
    sqlite.close();
    result = await verifyAuditLog(storage);
    assert.equal(result.ok, false);
    assert.deepEqual(result.findings, [
      'chain instance-a: record 3 deleted (before record 4)',
      'chain instance-b: record 4 to 5 deleted (the end of the log)',
    ]);
    await storage.close();
  });

  it('a record whose columns were moved (another seq) or whose head is gone is found', async () => {
    const { storage, file } = await tempStorage();
    const log = new AuditLog(storage, Date.now);
    for (let i = 1; i <= 3; i++) await log.append(entry(i));
    const sqlite = new Database(file);
    sqlite.prepare('UPDATE audit_records SET time = time + 1 WHERE seq = 2').run();
    sqlite.prepare('DELETE FROM audit_heads').run();
    sqlite.close();
    const result = await verifyAuditLog(storage);
    assert.deepEqual(result.findings, [
      'chain main: record 2 was changed (its columns do not match its text)',
      'chain main: the head is missing',
    ]);
    await storage.close();
  });

  it('records appended together are committed in one transaction, in order', async () => {
    const { storage } = await tempStorage();
    let commits = 0;
    const counting: Storage = Object.create(storage, {
      appendAudit: {
        value: (...args: Parameters<Storage['appendAudit']>) => {
          commits += 1;
          return storage.appendAudit(...args);
        },
      },
    }) as Storage;
    const log = new AuditLog(counting, Date.now);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(entry(i))));
    assert.equal(commits, 1);
    const records = await storage.readAudit('main', 0, 100);
    assert.deepEqual(
      records.map((r) => JSON.parse(r.record).requestId),
      Array.from({ length: 50 }, (_, i) => `r${i}`),
    );
    assert.equal((await verifyAuditLog(storage)).ok, true);
    await storage.close();
  });
});

describe('upgrade of the unchained log', () => {
  it('records of schema version 2 are carried into chain main and still verify; a change in them is still found', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'blindpseudo-audit-')), 'old.db');
    const old = new Database(file);
    old.exec(MIGRATIONS_TABLE_SQL);
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
      for (const sql of m.statements) old.exec(sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 0);
    }
    // As version 2 wrote them: the hash over a JSON array of the columns.
    let prev = '0'.repeat(64);
    const insert = old.prepare('INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (let seq = 1; seq <= 3; seq++) {
      const row = [
        seq,
        1000 + seq,
        'ünïcode',
        'pseudonymize',
        'd_v1',
        null,
        1,
        200,
        'success',
        `r${seq}`,
        'id\n',
        '::1',
      ];
      const hash = createHash('sha256')
        .update(`${prev}\n${JSON.stringify(row)}`)
        .digest('hex');
      insert.run(...row, prev, hash);
      prev = hash;
    }
    old.prepare("INSERT INTO service_meta (name, value) VALUES ('audit_head', ?)").run(`3:${prev}`);
    old.close();

    const storage = new SqliteStorage(file);
    await storage.migrate();
    assert.deepEqual((await verifyAuditLog(storage)).findings, []);
    await new AuditLog(storage, Date.now).append(entry(4));
    const result = await verifyAuditLog(storage);
    assert.equal(result.ok, true, result.findings.join('\n'));
    assert.equal(result.records, 4);
    const exported = [];
    for await (const r of readAuditLog(storage)) exported.push(r);
    assert.equal(exported[0]!.principal, 'ünïcode');
    assert.equal(exported[0]!.callerRequestId, 'id\n');
    await storage.close();

    const sqlite = new Database(file);
    sqlite.prepare("UPDATE audit_records SET record = replace(record, 'r2', 'r9') WHERE seq = 2").run();
    sqlite.close();
    const reopened = new SqliteStorage(file);
    assert.deepEqual((await verifyAuditLog(reopened)).findings, [
      'chain main: record 2 was changed (its hash does not match)',
    ]);
    await reopened.close();
  });
});
