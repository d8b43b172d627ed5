/**
 * The console's traffic is the service's: `serve --workers 2` on one SQLite file, load on both
 * workers, and the admin traffic API shows the items of both processes summed per second, with
 * the number of processes counted; health says the samples reach storage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestService } from '../src/testing.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '../src/metrics.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { TrafficSampler } from '../src/traffic-sampler.js';
import { sumSamples } from '../src/traffic.js';
import { pseudonymize } from './helpers.ts';
import { startWorkers } from './workers.ts';

const ITEMS = 40;

interface Traffic {
  samples: { time: number; seconds: number; processes: number; operations: Record<string, { items: number }> }[];
}

describe('traffic summed over processes', () => {
  it('serve --workers 2: the traffic API shows the items of both workers', async () => {
    const principal = { principal: 'traffic-test', groups: ['blindpseudo-admin'] };
    const { running } = await startWorkers(2, principal, [{ key: 'traffic_v1', accessRule: { pseudonymize: ['*'] } }]);
    const service = { baseUrl: `${running.address}/pseudo/v1` } as TestService;
    try {
      // New connections each time (fetch's pool), so both workers answer some of them.
      await Promise.all(Array.from({ length: ITEMS }, (_, i) => pseudonymize(service, 'traffic_v1', `v${i}`)));
      const seen = { items: 0, processes: 0 };
      const deadline = Date.now() + 20_000;
      while (seen.items < ITEMS && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const res = await fetch(`${running.address}/admin/v1/traffic`);
        assert.equal(res.status, 200);
        const { samples } = (await res.json()) as Traffic;
        seen.items = samples.reduce((n, s) => n + (s.operations.pseudonymize?.items ?? 0) * s.seconds, 0);
        seen.processes = Math.max(0, ...samples.map((s) => s.processes));
      }
      assert.equal(Math.round(seen.items), ITEMS, 'every item of every worker, counted once');
      assert.equal(seen.processes, 2, 'both workers wrote samples');
      const health = (await (await fetch(`${running.address}/admin/v1/health`)).json()) as { traffic: object };
      assert.deepEqual(health.traffic, { ok: true, pending: 0 });
    } finally {
      await running.close();
    }
  });

  it('sums the counts of processes per time bucket; percentiles from the merged histograms', () => {
    const counts = (items: number, fast: number, slow: number) => ({
      pseudonymize: {
        items,
        itemProblems: 0,
        requests: items,
        errors: 0,
        refusals: 1,
        alarms: 0,
        ended: fast + slow,
        // Cumulative: `fast` requests under 5 ms, `slow` ones between 0.5 and 1 s.
        latency: [fast, fast, fast, fast, fast, fast, fast, fast + slow, fast + slow, fast + slow, fast + slow],
      },
    });
    const [one] = sumSamples(
      [
        { process: 'a', time: 1000, counts: JSON.stringify(counts(3, 10, 0)) },
        { process: 'b', time: 1000, counts: JSON.stringify(counts(5, 0, 10)) },
      ],
      1000,
    );
    assert.equal(one!.processes, 2);
    const op = one!.operations.pseudonymize!;
    assert.equal(op.items, 8);
    assert.equal(op.refusals, 2);
    assert.ok(op.latency!.p50 <= 0.005, 'half the merged requests were fast');
    assert.ok(op.latency!.p95 > 0.5, 'the slow process shows in p95');
  });

  it('a sample that cannot be written fails nothing, is kept for the next write and shows in health', async () => {
    const storage = new SqliteStorage(join(await mkdtemp(join(tmpdir(), 'blindpseudo-traffic-')), 'db'));
    await storage.migrate();
    const metrics = new Metrics();
    const sampler = new TrafficSampler({ metrics, store: storage.trafficSamples, now: Date.now });
    sampler.start();
    metrics.countItem('pseudonymize', 'success');
    await sampler.tick();
    assert.deepEqual(sampler.health(), { ok: true, pending: 0 });
    assert.equal((await storage.trafficSamples.read(0)).length, 1);
    await storage.close();
    await sampler.tick();
    const health = sampler.health();
    assert.equal(health.ok, false);
    assert.equal(health.pending, 1);
    assert.equal(typeof health.lastFailure, 'number');
    await sampler.stop();
  });
});
