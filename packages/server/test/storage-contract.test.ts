/**
 * The same storage contract against SQLite (a temporary file) and PostgreSQL (a throwaway
 * cluster started for this file; skipped with the reason where PostgreSQL is not installed,
 * a failure under CI=true).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type PostgresCluster, postgresMissing, startPostgres } from '../../../test-support/postgres.ts';
import { PostgresStorage } from '../src/storage/postgres.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { storageContract } from './storage-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'blindpseudo-contract-'));
let files = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

storageContract({
  name: 'sqlite',
  skip: undefined,
  sharedByProcesses: false,
  open: async () => new SqliteStorage(join(dir, `${++files}.db`)),
  connectAgain: async () => new SqliteStorage(join(dir, `${files}.db`)),
});

const pgSkip = postgresMissing();
let cluster: Promise<PostgresCluster> | undefined;
let lastUrl = '';
const postgresStorage = (url: string) =>
  new PostgresStorage({ url, poolSize: 5, statementTimeoutMs: 5000, connectTimeoutMs: 2000, tls: undefined });
after(async () => (await cluster)?.stop());

storageContract({
  name: 'postgres',
  skip: pgSkip,
  sharedByProcesses: true,
  open: async () => {
    cluster ??= startPostgres();
    lastUrl = await (await cluster).createDatabase();
    return postgresStorage(lastUrl);
  },
  connectAgain: async () => postgresStorage(lastUrl),
});
