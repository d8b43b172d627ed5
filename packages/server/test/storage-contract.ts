/**
 * The storage contract: what every Storage (SQLite, PostgreSQL) must do, as one suite run
 * against each backend by storage-contract.test.ts. A backend passes when it behaves the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENESIS_HASH, chainHash, sealAuditRecords } from '../src/audit-record.js';
import { validateDomainConfig } from '../src/config.js';
import type { AuditHead, Storage, StoredTransitKey } from '../src/storage/storage.js';
import { TRANSIT_USES_PRUNE_BATCH } from '../src/storage/transit-uses.js';

export interface Backend {
  readonly name: string;
  /** Why this backend cannot run here (the suite is skipped with it), or undefined. */
  readonly skip: string | undefined;
  /** Whether several processes share it (PostgreSQL); SQLite's set-up is the cluster primary's. */
  readonly sharedByProcesses: boolean;
  /** A new, empty storage (not migrated yet). */
  open(): Promise<Storage>;
  /** Another connection (another pool, another file handle) to the storage `open` made last. */
  connectAgain(): Promise<Storage>;
}

const domain = (key: string, description = key) =>
  validateDomainConfig({ key, description, accessRule: { pseudonymize: ['*'] } }, 'domain', '/');

const transitKey = (domainKey: string, kid: string, createdAt: number): StoredTransitKey => ({
  domainKey,
  kid,
  wrappedKey: `wrapped-${kid}`,
  createdAt,
  deactivatedAt: undefined,
});

/** Seals `count` records numbered from `n` after the head given (as the audit log does). */
function seal(chain: string, n: number, count = 1) {
  return (head: AuditHead | undefined) =>
    sealAuditRecords(
      chain,
      head,
      Array.from({ length: count }, (_, i) => ({
        time: 1000 + n + i,
        entry: {
          principal: `p${n + i}`,
          operation: 'pseudonymize',
          domainKey: 'd',
          toDomainKey: null,
          items: n + i,
          status: 200,
          outcome: 'success',
          requestId: `r${n + i}`,
          // Characters a database's text encoding could alter: stored as escaped ASCII.
          callerRequestId: `\ud800 \u0000 \uffff 😀 ${n + i}`,
          peer: '127.0.0.1',
        },
      })),
    );
}

async function withStorage(backend: Backend, work: (s: Storage) => Promise<void>): Promise<void> {
  const storage = await backend.open();
  try {
    await storage.migrate();
    await work(storage);
  } finally {
    await storage.close();
  }
}

/** Declares the contract's tests for one backend. */
export function storageContract(backend: Backend): void {
  test(
    `${backend.name}: a closed storage fails every operation as unavailable (503), never with a driver error`,
    {
      skip: backend.skip,
    },
    async () => {
      const storage = await backend.open();
      await storage.migrate();
      await storage.close();
      const unavailable = (err: unknown): boolean => (err as { code?: string }).code === 'ERR_SERVER_UNAVAILABLE';
      await assert.rejects(storage.getMeta('x'), unavailable);
      await assert.rejects(storage.trafficSamples.read(0), unavailable);
      await assert.rejects(storage.trafficSamples.add([], 0), unavailable);
      const nothing = { domains: [], transitKeys: [], serviceKeys: [], meta: {} };
      await assert.rejects(storage.replaceWrappedKeys(nothing), unavailable);
    },
  );

  const it = (name: string, work: (s: Storage) => Promise<void>): void => {
    test(`${backend.name}: ${name}`, { skip: backend.skip }, () => withStorage(backend, work));
  };

  it('migrations apply once and again without effect; meta values round-trip', async (s) => {
    await s.migrate();
    await s.ping();
    assert.equal(await s.getMeta('absent'), undefined);
    await s.setMeta('m', 'one');
    await s.setMeta('m', 'two');
    assert.equal(await s.getMeta('m'), 'two');
  });

  it('service key: none, then the newest', async (s) => {
    assert.equal(await s.getServiceKey(), undefined);
    await s.insertServiceKey({ kid: 'k1', wrappedPrivateKey: 'w1', createdAt: 1 });
    await s.insertServiceKey({ kid: 'k2', wrappedPrivateKey: 'w2', createdAt: 2 });
    assert.deepEqual(await s.getServiceKey(), { kid: 'k2', wrappedPrivateKey: 'w2', createdAt: 2 });
  });

  it('domains with their first transit key; definitions update, never the scalar', async (s) => {
    await s.insertDomain({ definition: domain('b'), wrappedScalar: 'sb', createdAt: 5 }, transitKey('b', 'kb', 5));
    await s.insertDomain({ definition: domain('a'), wrappedScalar: 'sa', createdAt: 6 }, transitKey('a', 'ka', 6));
    assert.deepEqual(
      (await s.listDomains()).map((d) => d.definition.key),
      ['a', 'b'],
    );
    await s.updateDomainDefinition(domain('a', 'changed'));
    const a = await s.getDomain('a');
    assert.equal(a?.definition.description, 'changed');
    assert.equal(a?.wrappedScalar, 'sa');
    assert.equal(a?.createdAt, 6);
    assert.deepEqual(a?.definition.accessRule.pseudonymize, ['*']);
    assert.equal(await s.getDomain('c'), undefined);
    await assert.rejects(
      s.insertDomain({ definition: domain('a'), wrappedScalar: 'x', createdAt: 7 }, transitKey('a', 'k2', 7)),
    );
    assert.deepEqual(
      (await s.listTransitKeys('a')).map((k) => k.kid),
      ['ka'],
    );
  });

  it('wrapped keys are replaced all together or not at all', async (s) => {
    await s.insertDomain({ definition: domain('w'), wrappedScalar: 'old-s', createdAt: 1 }, transitKey('w', 'k', 1));
    await s.insertServiceKey({ kid: 'svc', wrappedPrivateKey: 'old-p', createdAt: 1 });
    const change = {
      domains: [{ domainKey: 'w', wrappedScalar: 'new-s' }],
      transitKeys: [{ domainKey: 'w', kid: 'k', wrappedKey: 'new-k' }],
      serviceKeys: [{ kid: 'svc', wrappedPrivateKey: 'new-p' }],
      meta: { 'key-store': 'pkcs11' },
    };
    // A row that does not exist: nothing changes.
    await assert.rejects(s.replaceWrappedKeys({ ...change, serviceKeys: [{ kid: 'absent', wrappedPrivateKey: 'x' }] }));
    assert.equal((await s.getDomain('w'))?.wrappedScalar, 'old-s');
    assert.equal(await s.getMeta('key-store'), undefined);
    await s.replaceWrappedKeys(change);
    assert.equal((await s.getDomain('w'))?.wrappedScalar, 'new-s');
    assert.equal((await s.listTransitKeys('w'))[0]?.wrappedKey, 'new-k');
    assert.equal((await s.getServiceKey())?.wrappedPrivateKey, 'new-p');
    assert.equal(await s.getMeta('key-store'), 'pkcs11');
  });

  it('transit key rotation leaves one active key; concurrent rotations one new key each', async (s) => {
    await s.insertDomain({ definition: domain('d'), wrappedScalar: 's', createdAt: 1 }, transitKey('d', 'k0', 1));
    await s.rotateTransitKey(transitKey('d', 'k1', 2), 2);
    let keys = await s.listTransitKeys('d');
    assert.deepEqual(
      keys.map((k) => [k.kid, k.deactivatedAt]),
      [
        ['k0', 2],
        ['k1', undefined],
      ],
    );
    await Promise.all([3, 4, 5, 6].map((n) => s.rotateTransitKey(transitKey('d', `k${n}`, n), n)));
    keys = await s.listTransitKeys('d');
    assert.equal(keys.length, 6);
    assert.equal(keys.filter((k) => k.deactivatedAt === undefined).length, 1);
    await s.deleteTransitKeys('d', ['k0', 'k1', 'absent']);
    assert.deepEqual(
      (await s.listTransitKeys('d')).map((k) => k.kid),
      ['k3', 'k4', 'k5', 'k6'],
    );
  });

  it('principals: save keeps revocation; revoke and reinstate say whether they changed anything', async (s) => {
    assert.equal(await s.getPrincipal('alice'), undefined);
    await s.savePrincipal({ id: 'alice', description: 'A', groups: ['g1'] }, 10);
    assert.equal(await s.revokePrincipal('alice', 11), true);
    assert.equal(await s.revokePrincipal('alice', 12), false);
    await s.savePrincipal({ id: 'alice', description: 'A2', groups: ['g2', 'g3'] }, 13);
    assert.deepEqual(await s.getPrincipal('alice'), {
      id: 'alice',
      description: 'A2',
      groups: ['g2', 'g3'],
      createdAt: 10,
      revokedAt: 11,
    });
    assert.equal(await s.revokePrincipal('bob', 14), true);
    assert.equal((await s.getPrincipal('bob'))?.revokedAt, 14);
    assert.equal(await s.reinstatePrincipal('alice'), true);
    assert.equal(await s.reinstatePrincipal('alice'), false);
    assert.deepEqual(
      (await s.listPrincipals()).map((p) => [p.id, p.revokedAt]),
      [
        ['alice', undefined],
        ['bob', 14],
      ],
    );
  });

  it('certificates and access grants', async (s) => {
    assert.equal(await s.isCertificateRevoked('ab'), false);
    assert.equal(await s.revokeCertificate('ab', 1), true);
    assert.equal(await s.revokeCertificate('ab', 2), false);
    assert.equal(await s.isCertificateRevoked('ab'), true);
    const grant = { domainKey: 'd', operation: 'identify', subject: 'group:g', createdAt: 3 } as const;
    assert.equal(await s.addAccessGrant(grant), true);
    assert.equal(await s.addAccessGrant({ ...grant, createdAt: 4 }), false);
    await s.addAccessGrant({ ...grant, domainKey: 'e', subject: '*' });
    assert.deepEqual(await s.listAccessGrants('d'), [grant]);
    assert.equal((await s.listAccessGrants()).length, 2);
    assert.equal(await s.removeAccessGrant('d', 'identify', 'group:g'), true);
    assert.equal(await s.removeAccessGrant('d', 'identify', 'group:g'), false);
    assert.deepEqual(await s.listAccessGrants('d'), []);
  });

  it('usage counters never pass the limit, even when counted concurrently', async (s) => {
    assert.deepEqual(await s.addUsage('p', 'identify', '2026-01-01', 3, undefined), { counted: true, total: 3 });
    assert.deepEqual(await s.addUsage('p', 'identify', '2026-01-01', 8, 10), { counted: false, total: 3 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => s.addUsage('p', 'pseudonymize', '2026-01-01', 1, 10)),
    );
    assert.equal(results.filter((r) => r.counted).length, 10);
    assert.deepEqual(await s.addUsage('p', 'pseudonymize', '2026-01-02', 11, 10), { counted: false, total: 0 });
  });

  it('the definitions version grows with every change to domains and transit keys, not with other changes', async (s) => {
    const v0 = await s.definitionsVersion();
    await s.insertDomain({ definition: domain('v'), wrappedScalar: 's', createdAt: 1 }, transitKey('v', 'k0', 1));
    const v1 = await s.definitionsVersion();
    await s.updateDomainDefinition(domain('v', 'changed'));
    const v2 = await s.definitionsVersion();
    await s.rotateTransitKey(transitKey('v', 'k1', 2), 2);
    const v3 = await s.definitionsVersion();
    assert.ok(v0 < v1 && v1 < v2 && v2 < v3, `${v0} < ${v1} < ${v2} < ${v3}`);
    await s.savePrincipal({ id: 'p', description: '', groups: [] }, 3);
    await s.setMeta('m', 'x');
    assert.equal(await s.definitionsVersion(), v3);
  });

  it('rate tokens: a burst, then one per 1/perSecond, never more, even taken concurrently', async (s) => {
    const limit = { perSecond: 2, burst: 3 };
    const first = await Promise.all(Array.from({ length: 5 }, () => s.takeRateToken('p', limit, 1000)));
    assert.equal(first.filter((r) => r.taken).length, 3);
    assert.deepEqual(
      first.find((r) => !r.taken),
      { taken: false, retryAfterSeconds: 1 },
    );
    assert.equal((await s.takeRateToken('p', limit, 1400)).taken, false);
    assert.equal((await s.takeRateToken('p', limit, 1500)).taken, true);
    assert.equal((await s.takeRateToken('p', limit, 1500)).taken, false);
    assert.equal((await s.takeRateToken('q', limit, 1500)).taken, true);
    // A clock behind the last refill adds nothing.
    assert.equal((await s.takeRateToken('p', limit, 1000)).taken, false);
  });

  it('exclusively runs one set-up at a time (backends shared by processes)', async (s) => {
    if (!backend.sharedByProcesses) return;
    let running = 0;
    let most = 0;
    const work = async (): Promise<void> => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
    };
    await Promise.all([s.exclusively(work), s.exclusively(work), s.exclusively(work)]);
    assert.equal(most, 1);
  });

  it('audit records chain in order per chain, groups in one commit, also when appended concurrently', async (s) => {
    assert.deepEqual(await s.listAuditChains(), []);
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => s.appendAudit('a', seal('a', 10 * i, 2))),
      ...Array.from({ length: 5 }, (_, i) => s.appendAudit('b', seal('b', 100 + i))),
    ]);
    const chains = await s.listAuditChains();
    assert.deepEqual(
      chains.map((c) => [c.chain, c.head?.seq]),
      [
        ['a', 12],
        ['b', 5],
      ],
    );
    for (const { chain, head } of chains) {
      const read = await s.readAudit(chain, 0, 100);
      assert.deepEqual(
        read.map((r) => r.seq),
        Array.from({ length: head!.seq }, (_, i) => i + 1),
      );
      let prev = GENESIS_HASH;
      for (const r of read) {
        assert.equal(r.chain, chain);
        assert.equal(r.prevHash, prev);
        assert.equal(chainHash(r.prevHash, r.record), r.hash);
        assert.equal(JSON.parse(r.record).seq, r.seq);
        prev = r.hash;
      }
      assert.deepEqual(head, { chain, seq: head!.seq, hash: prev });
    }
    assert.deepEqual(
      (await s.readAudit('a', 10, 1)).map((r) => r.seq),
      [11],
    );
  });

  it('traffic samples: several per write, read after a time in order, old ones pruned by a write', async (s) => {
    const sample = (process: string, time: number) => ({ process, time, counts: `{"op":${time}}` });
    await s.trafficSamples.add([sample('b', 2000), sample('a', 2000), sample('a', 1000)], 0);
    await s.trafficSamples.add([sample('b', 3000)], 0);
    assert.deepEqual(await s.trafficSamples.read(1000), [sample('a', 2000), sample('b', 2000), sample('b', 3000)]);
    await s.trafficSamples.add([], 2500);
    assert.deepEqual(await s.trafficSamples.read(0), [sample('b', 3000)]);
  });

  it('transit uses: once true, then false; per domain; concurrent uses of one jti, one true', async (s) => {
    assert.equal(await s.useTransitOnce('d', 'jti-1', 10_000, 1000), true);
    assert.equal(await s.useTransitOnce('d', 'jti-1', 10_000, 1000), false);
    assert.equal(await s.useTransitOnce('e', 'jti-1', 10_000, 1000), true);
    assert.equal(await s.useTransitOnce('d', 'jti-2', 10_000, 1000), true);
    // Through this connection and another one (another pool or file handle) at once.
    const other = await backend.connectAgain();
    try {
      const uses = await Promise.all(
        Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? s : other).useTransitOnce('d', 'jti-3', 10_000, 1000)),
      );
      assert.equal(uses.filter(Boolean).length, 1);
      assert.equal(await other.useTransitOnce('d', 'jti-1', 10_000, 1000), false);
    } finally {
      await other.close();
    }
  });

  it('transit uses: rows kept until before now are deleted by a later use, in bounded batches', async (s) => {
    const batch = TRANSIT_USES_PRUNE_BATCH;
    const old = Array.from({ length: batch + 3 }, (_, i) => `old-${i}`);
    await s.useTransitOnce('d', 'kept', 50_000, 1000);
    for (const jti of old) assert.equal(await s.useTransitOnce('d', jti, 2000, 1000), true);
    assert.equal(await s.useTransitOnce('d', 'old-0', 2000, 1500), false);
    // The first use after 2000 deletes one batch only; uses at an earlier time do not delete.
    await s.useTransitOnce('d', 'new-1', 50_000, 3000);
    const left: string[] = [];
    for (const jti of old) if (!(await s.useTransitOnce('d', jti, 60_000, 2999))) left.push(jti);
    assert.equal(left.length, 3);
    // The batch was full: the next use deletes again at once.
    await s.useTransitOnce('d', 'new-2', 50_000, 3000);
    for (const jti of left) assert.equal(await s.useTransitOnce('d', jti, 60_000, 3000), true);
    assert.equal(await s.useTransitOnce('d', 'kept', 50_000, 3000), false);
  });
}
