/**
 * Several instances on one database (one SQLite file, as `serve --workers` runs it, and one
 * PostgreSQL database) are one service: a transit key rotated or a domain created through one
 * instance is used by the others within seconds (PostgreSQL notifies; both poll), a transit made
 * by one is opened by another at once, and the rate limit, the daily quota and the enumeration
 * alarm hold across them.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { eventually, kidOf } from '../../../test-support/eventually.ts';
import { blind, decodeValueText, encodeValue, pointToJson, pointsEqual } from '@blindpseudo/core';
import { type PostgresCluster, postgresMissing, startPostgres } from '../../../test-support/postgres.ts';
import { validateDomainConfig } from '../src/config.js';
import { type TestService, startTestService } from '../src/testing.js';
import { call, identify, pseudonymize, url } from './helpers.ts';

const backends: {
  name: string;
  skip: string | undefined;
  storage: () => Promise<Record<string, unknown> | undefined>;
}[] = [];
let cluster: Promise<PostgresCluster> | undefined;
after(async () => (await cluster)?.stop());
backends.push({ name: 'one SQLite file', skip: undefined, storage: async () => undefined });
backends.push({
  name: 'one PostgreSQL database',
  skip: postgresMissing(),
  storage: async () => {
    cluster ??= startPostgres();
    return { postgres: { url: await (await cluster).createDatabase() } };
  },
});

for (const backend of backends) {
  describe(`two instances on ${backend.name}`, { skip: backend.skip }, () => {
    const started: TestService[] = [];
    after(async () => {
      for (const s of started) await s.close();
    });

    async function twoInstances(
      options: { limits?: Record<string, unknown>; now?: () => number } = {},
    ): Promise<[TestService, TestService]> {
      const storage = await backend.storage();
      const common = { domains: [{ key: 'shared_v1' }], ...options, ...(storage === undefined ? {} : { storage }) };
      const a = await startTestService(common);
      // The same data directory (master key, SQLite file) on another port, one public address.
      const b = await startTestService({ ...common, dataDir: a.dataDir, port: 0, publicBaseUrl: a.origin });
      started.push(a, b);
      return [a, b];
    }

    it('a rotation through one is issued by the other within seconds; its transits open anywhere', async () => {
      const [a, b] = await twoInstances();
      const before = kidOf((await pseudonymize(b, 'shared_v1', 'v')).transitInfo);
      await a.rotateTransitKey('shared_v1');
      const rotated = (await a.app.domains.activeTransitKey('shared_v1')).kid;
      assert.notEqual(rotated, before);
      const fromA = await pseudonymize(a, 'shared_v1', 'made on a');
      assert.equal(kidOf(fromA.transitInfo), rotated);
      assert.equal(decodeValueText(await identify(b, 'shared_v1', fromA)), 'made on a');
      await eventually(5, async () => kidOf((await pseudonymize(b, 'shared_v1', 'v')).transitInfo) === rotated);
      // The old key still opens the transits it made.
      const old = await pseudonymize(a, 'shared_v1', 'x');
      assert.ok(pointsEqual(await identify(b, 'shared_v1', old), encodeValue('x')));
    });

    it('a domain created through one is served by the other within seconds', async () => {
      const [a, b] = await twoInstances();
      const definition = validateDomainConfig({ key: 'later_v1', accessRule: { pseudonymize: ['*'] } }, 'd', '/');
      await a.app.domains.createOrUpdate(definition);
      await eventually(5, async () => (await call(url(b, 'later_v1'))).status === 200);
      await pseudonymize(b, 'later_v1', 'v');
    });

    it('the rate limit counts the requests of every instance', async () => {
      // A clock that stands still: no token comes back during the test.
      const now = Date.now();
      const [a, b] = await twoInstances({ limits: { rate: { requestsPerSecond: 1, burst: 4 } }, now: () => now });
      const statuses: number[] = [];
      for (const svc of [a, b, a, b, a, b]) statuses.push((await call(url(svc, 'shared_v1'))).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    });

    it('the daily quota and the enumeration alarm count the items of every instance', async () => {
      const now = Date.UTC(2030, 0, 1, 12, 0, 0);
      const limits = { dailyQuota: { pseudonymize: 3 }, enumerationAlarmItemsPerDay: 2 };
      const [a, b] = await twoInstances({ limits, now: () => now });
      const body = { crv: 'P-521', ...pointToJson((await blind(encodeValue('quota'))).point) };
      const statuses: number[] = [];
      for (const svc of [a, b, a, b]) statuses.push((await call(url(svc, 'shared_v1/pseudonymize'), body)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429], 'three items in the day, wherever they were asked');
      const alarms = await Promise.all(
        [a, b].map(async (svc) => {
          const metrics = (await svc.app.inject('/metrics')).body;
          return Number(
            /^blindpseudo_enumeration_alarms_total\{operation="pseudonymize"\} (\d+)$/m.exec(metrics)?.[1] ?? 0,
          );
        }),
      );
      assert.equal(alarms[0]! + alarms[1]!, 1, `raised once for the service: ${JSON.stringify(alarms)}`);
    });
  });
}
