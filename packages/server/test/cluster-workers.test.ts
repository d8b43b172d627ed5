/**
 * `serve --workers N` (startCluster): several processes on one port and one SQLite file answer
 * as one service — every request answered and audited in one chain that verifies — and a worker
 * killed with SIGKILL is replaced while the others keep answering.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually } from '../../../test-support/eventually.ts';
import { verifyAuditLog } from '../src/audit.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { TestService } from '../src/testing.js';
import { pseudonymize } from './helpers.ts';
import { startWorkers } from './workers.ts';

describe('serve --workers 2 on one SQLite file', () => {
  it('answers and audits every request in one chain; a killed worker is replaced', async () => {
    const { dir, running } = await startWorkers(2, { principal: 'worker-test' }, [
      { key: 'workers_v1', accessRule: { pseudonymize: ['*'] } },
    ]);
    const service = { baseUrl: `${running.address}/pseudo/v1` } as TestService;
    try {
      const batch = (n: number): Promise<unknown[]> =>
        Promise.all(Array.from({ length: n }, (_, i) => pseudonymize(service, 'workers_v1', `v${i}`)));
      await batch(30);
      const [killed] = running.pids();
      process.kill(killed!, 'SIGKILL');
      await eventually(30, () => running.pids().length === 2 && !running.pids().includes(killed!));
      await batch(10);
    } finally {
      await running.close();
    }
    const storage = new SqliteStorage(join(dir, 'service.db'));
    try {
      const verification = await verifyAuditLog(storage);
      assert.deepEqual(verification.findings, []);
      assert.equal(verification.records, 40);
    } finally {
      await storage.close();
    }
  });
});
