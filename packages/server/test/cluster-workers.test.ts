/**
 * `serve --workers N` (startCluster): several processes on one port and one SQLite file answer
 * as one service — every request answered and audited in one chain that verifies — and a worker
 * killed with SIGKILL is replaced while the others keep answering.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually } from '../../../test-support/eventually.ts';
import { verifyAuditLog } from '../src/audit.js';
import { startCluster } from '../src/cluster.js';
import { generateMasterKeyText } from '../src/master-key.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { TestService } from '../src/testing.js';
import { pseudonymize } from './helpers.ts';

describe('serve --workers 2 on one SQLite file', () => {
  it('answers and audits every request in one chain; a killed worker is replaced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-workers-'));
    await writeFile(join(dir, 'master.key'), generateMasterKeyText(), { mode: 0o600 });
    const configFile = join(dir, 'config.json');
    const config = {
      listen: { host: '127.0.0.1', port: 0 },
      storage: { file: 'service.db' },
      masterKey: { file: 'master.key' },
      logLevel: 'warn',
      auth: { mode: 'development', development: { unauthenticatedPrincipal: { principal: 'worker-test' } } },
      domains: [{ key: 'workers_v1', accessRule: { pseudonymize: ['*'] } }],
    };
    await writeFile(configFile, JSON.stringify(config));
    const running = await startCluster({
      configFile,
      cwd: dir,
      overrides: {},
      workers: 2,
      env: {},
      log: () => undefined,
      handleSignals: false,
    });
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
