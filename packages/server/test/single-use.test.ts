/**
 * Single use of pseudonyms in transit at the service (`transitPolicy.singleUse`): identify and
 * convert accept each transit of such a domain once — single calls and every item of the Multiple
 * calls — whoever made it (the service, or an owner writing a jti); a transit without a usable jti
 * is refused; other domains are unchanged; a refused reuse is audited; a storage that cannot say
 * is a 503 that does not use the transit up; across instance processes on one PostgreSQL
 * database, a transit used through one instance is refused by the other.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  type Point,
  blind,
  encodeValue,
  invertScalar,
  issueTransit,
  nobleMultiplier,
  pointFromJson,
  pointToJson,
  randomScalar,
  unblind,
} from '@blindpseudo/core';
import { type PostgresCluster, postgresMissing, startPostgres } from '../../../test-support/postgres.ts';
import { type ServiceProcess, startServiceProcess } from '../../../test-support/service-process.ts';
import { parseAuditRecord } from '../src/audit-record.js';
import { SingleUseTransits } from '../src/single-use.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { type TestService, startTestService } from '../src/testing.js';
import {
  type Answer,
  type Owner,
  assertProblem,
  atRest,
  call,
  convert,
  identify,
  makeOwner,
  ownerTransitKeys,
  pseudonymize,
  url,
} from './helpers.ts';

const ONCE = 'once_v1';
const FREE = 'free_v1';
const REPLAYED = /identified or converted before/;
const WITHOUT_JTI = /no usable jti/;

interface Transit {
  point: Point;
  transitInfo: string;
}

/** A request body for identify or convert of `transit`, blinded afresh. */
async function body(transit: Transit, id: string = crypto.randomUUID()): Promise<Record<string, unknown>> {
  const b = await blind(transit.point);
  return { id, crv: 'P-521', ...pointToJson(b.point), transitInfo: transit.transitInfo };
}

describe('single use of transits at the service', () => {
  let svc: TestService;
  let owner: Owner;

  before(async () => {
    owner = await makeOwner('single-use');
    svc = await startTestService({
      domains: [
        { key: ONCE, owners: [owner.owner], transitPolicy: { singleUse: true } },
        { key: FREE, owners: [owner.owner] },
      ],
    });
  });
  after(() => svc.close());

  const again = async (path: string, transit: Transit): Promise<Answer> => call(url(svc, path), await body(transit));

  /** An owner's transit of `value` in `ONCE` with the given claims (core's issueTransit, as an SDK would). */
  const ownerTransit = async (value: string, claims: Record<string, unknown>): Promise<Transit> => {
    const stored = await atRest(svc, ONCE, owner.privateKey, await pseudonymize(svc, ONCE, value));
    const [kid, key] = [...(await ownerTransitKeys(svc, ONCE, owner.privateKey))][0]!;
    const s = randomScalar();
    const { audience } = (await call(url(svc, ONCE))).body as { audience: string };
    const transit = await issueTransit({
      ...{ multiplier: nobleMultiplier, point: stored, key, kid, audience, scalar: s },
      factor: invertScalar(s),
      iat: Math.floor(Date.now() / 1000),
      ttlSeconds: 600,
      claims,
    });
    return { point: transit.point, transitInfo: transit.transitInfo };
  };

  it('identify: once, then a 400 problem; a fresh transit of the same value is identified', async () => {
    const transit = await pseudonymize(svc, ONCE, 'v1');
    const value = await identify(svc, ONCE, transit);
    assertProblem(await again(`${ONCE}/identify`, transit), 400, 'badRequest', REPLAYED);
    assert.deepEqual(await identify(svc, ONCE, await pseudonymize(svc, ONCE, 'v1')), value);
  });

  it('convert: once, and one use for identify and convert together; the converted transit once too', async () => {
    const transit = await pseudonymize(svc, ONCE, 'v2');
    await convert(svc, ONCE, FREE, transit.point, transit.transitInfo);
    assertProblem(await again(`${ONCE}/convertTo/${FREE}`, transit), 400, 'badRequest', REPLAYED);
    assertProblem(await again(`${ONCE}/identify`, transit), 400, 'badRequest', REPLAYED);
    const free = await pseudonymize(svc, FREE, 'v3');
    const converted = await convert(svc, FREE, ONCE, free.point, free.transitInfo);
    await identify(svc, ONCE, converted);
    assertProblem(await again(`${ONCE}/identify`, converted), 400, 'badRequest', REPLAYED);
  });

  it('Multiple: the same transit twice in one call, one item answered and the other refused', async () => {
    for (const path of [`${ONCE}/identifyMultiple`, `${ONCE}/convertMultipleTo/${FREE}`]) {
      const transit = await pseudonymize(svc, ONCE, 'v4');
      const answer = await call(url(svc, path), {
        id: 'm',
        inputs: [await body(transit, 'a'), await body(transit, 'b')],
      });
      assert.equal(answer.status, 200);
      const outputs = answer.body.outputs as Record<string, unknown>[];
      assert.deepEqual(outputs.map((o) => o.inResponseTo).sort(), ['a', 'b']);
      const refused = outputs.filter((o) => o.status === 400);
      assert.equal(refused.length, 1, JSON.stringify(outputs));
      assert.equal(refused[0]!.type, 'urn:problem-type:belgif:badRequest');
      assert.match(String(refused[0]!.detail), REPLAYED);
      assert.equal(outputs.filter((o) => typeof o.x === 'string').length, 1);
    }
  });

  it('a transit without a usable jti is refused; an owner transit with a jti is accepted once', async () => {
    for (const claims of [
      {},
      { jti: '' },
      { jti: 42 },
      { jti: 'a\u0000b' },
      { jti: '\ud800' },
      { jti: 'x'.repeat(257) },
    ]) {
      const transit = await ownerTransit('v5', claims);
      for (const path of [`${ONCE}/identify`, `${ONCE}/convertTo/${FREE}`])
        assertProblem(await again(path, transit), 400, 'badRequest', WITHOUT_JTI);
    }
    const transit = await ownerTransit('v5', { jti: crypto.randomUUID() });
    assert.deepEqual(
      await identify(svc, ONCE, transit),
      await identify(svc, ONCE, await pseudonymize(svc, ONCE, 'v5')),
    );
    assertProblem(await again(`${ONCE}/identify`, transit), 400, 'badRequest', REPLAYED);
  });

  it('domains without singleUse are unchanged: a transit is identified and converted again and again', async () => {
    const transit = await pseudonymize(svc, FREE, 'v6');
    const value = await identify(svc, FREE, transit);
    assert.deepEqual(await identify(svc, FREE, transit), value);
    await convert(svc, FREE, ONCE, transit.point, transit.transitInfo);
    await convert(svc, FREE, ONCE, transit.point, transit.transitInfo);
  });

  it('a refused reuse is audited with its status and problem', async () => {
    const transit = await pseudonymize(svc, ONCE, 'v7');
    await identify(svc, ONCE, transit);
    const refused = await call(url(svc, `${ONCE}/identify`), await body(transit, 'audited-reuse'));
    assertProblem(refused, 400, 'badRequest', REPLAYED);
    const { chain, head } = (await svc.app.storage.listAuditChains())[0]!;
    const records = await svc.app.storage.readAudit(chain, head!.seq - 5, 10);
    const record = records.map((r) => parseAuditRecord(r.record)!).find((r) => r.callerRequestId === 'audited-reuse');
    assert.ok(record, 'the refused request has its record');
    assert.deepEqual(
      [record.operation, record.domainKey, record.status, record.outcome],
      ['identify', ONCE, 400, 'badRequest'],
    );
  });

  it('a storage that cannot say answers 503 and does not use the transit up', async () => {
    const transit = await pseudonymize(svc, ONCE, 'v8');
    // Another connection holds SQLite's exclusive lock for longer than a request waits.
    const holder = new Database(join(svc.dataDir, 'blindpseudo.db'));
    holder.exec('BEGIN EXCLUSIVE');
    let answer: Answer;
    try {
      answer = await again(`${ONCE}/identify`, transit);
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    assertProblem(answer, 503, 'serviceUnavailable');
    await identify(svc, ONCE, transit);
    assertProblem(await again(`${ONCE}/identify`, transit), 400, 'badRequest', REPLAYED);
  });
});

describe('SingleUseTransits', () => {
  it('fails closed with the 503 error when the storage cannot be used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blindpseudo-single-use-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const storage = new SqliteStorage(join(dir, 'uses.db'));
    await storage.migrate();
    const uses = new SingleUseTransits(storage, Date.now);
    const opened = { header: { alg: 'dir', enc: 'A256GCM' }, scalar: 1n, iat: 0, exp: 2e9, claims: { jti: 'j' } };
    await uses.use('d', opened);
    await assert.rejects(uses.use('d', opened), { code: 'ERR_SERVER_TRANSIT_REPLAYED' });
    await storage.close();
    await assert.rejects(uses.use('d', { ...opened, claims: { jti: 'k' } }), (err: unknown) => {
      const coded = err as { code?: string; http?: { status?: number } };
      return coded.code === 'ERR_SERVER_UNAVAILABLE' && coded.http?.status === 503;
    });
  });
});

describe('single use across instance processes on one PostgreSQL database', { skip: postgresMissing() }, () => {
  let cluster: PostgresCluster | undefined;
  const instances: ServiceProcess[] = [];
  after(async () => {
    for (const instance of instances) {
      await instance.stop();
      rmSync(instance.dataDir, { recursive: true, force: true });
    }
    await cluster?.stop();
  });

  const at = (instance: ServiceProcess, path: string) => `${instance.baseUrl}/domains/${path}`;
  const transitFrom = async (instance: ServiceProcess, value: string): Promise<Transit> => {
    const b = await blind(encodeValue(value));
    const answer = await call(at(instance, `${ONCE}/pseudonymize`), { crv: 'P-521', ...pointToJson(b.point) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return { point: await unblind(pointFromJson(answer.body), b.scalar), transitInfo: answer.body.transitInfo };
  };
  const identifyAt = async (instance: ServiceProcess, transit: Transit): Promise<Answer> =>
    call(at(instance, `${ONCE}/identify`), await body(transit));

  it('a transit identified through one instance is refused by the other; concurrent uses, one answered', async () => {
    cluster = await startPostgres();
    const storage = { postgres: { url: await cluster.createDatabase() } };
    // One service to clients: the same public URL (so the same audiences) and the same master key.
    const shared = { storage, publicBaseUrl: 'https://pseudo.example.org' };
    const domains = [{ key: ONCE, transitPolicy: { singleUse: true } }];
    const a = await startServiceProcess(domains, shared);
    instances.push(a);
    const dataDir = mkdtempSync(join(tmpdir(), 'blindpseudo-instance-b-'));
    copyFileSync(join(a.dataDir, 'master.key'), join(dataDir, 'master.key'));
    const b = await startServiceProcess(domains, { ...shared, dataDir });
    instances.push(b);

    for (const [first, second] of [
      [a, b],
      [b, a],
    ] as const) {
      const transit = await transitFrom(first, 'across');
      assert.equal((await identifyAt(first, transit)).status, 200);
      assertProblem(await identifyAt(second, transit), 400, 'badRequest', REPLAYED);
    }
    const transit = await transitFrom(a, 'raced');
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => identifyAt(i % 2 ? a : b, transit)));
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400, 400, 400, 400, 400]);
  });
});
