/**
 * Replacing wrapped keys in place (moving them into another key store, migrate-to-hsm): the same
 * statements for both storages, each required to change exactly one row. The old values must not
 * linger: SQLite overwrites freed pages (secure_delete), then empties the journal and rebuilds the
 * file; PostgreSQL rewrites the four tables (VACUUM FULL), so no dead row keeps them (its WAL
 * archives and backups from before the move still do).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { inTransaction } from './postgres-connection.js';
import type { WrappedKeysChange } from './storage.js';

export type { WrappedKeysChange } from './storage.js';

interface Update {
  readonly sql: string;
  readonly args: readonly string[];
}

const KEY_TABLES = 'domains, transit_keys, service_keys, service_meta';

/** The statements of a change, with `?` placeholders. */
export function wrappedKeyUpdates(change: WrappedKeysChange): Update[] {
  return [
    ...change.domains.map((d) => ({
      sql: 'UPDATE domains SET wrapped_scalar = ? WHERE domain_key = ?',
      args: [d.wrappedScalar, d.domainKey],
    })),
    ...change.transitKeys.map((k) => ({
      sql: 'UPDATE transit_keys SET wrapped_key = ? WHERE domain_key = ? AND kid = ?',
      args: [k.wrappedKey, k.domainKey, k.kid],
    })),
    ...change.serviceKeys.map((k) => ({
      sql: 'UPDATE service_keys SET wrapped_private_key = ? WHERE kid = ?',
      args: [k.wrappedPrivateKey, k.kid],
    })),
    ...Object.entries(change.meta).map(([name, value]) => ({
      sql: 'INSERT INTO service_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      args: [name, value],
    })),
  ];
}

function changedOne(count: number | null): void {
  if (count !== 1) throw new Error('a wrapped key to replace is missing');
}

/** SQLite: one transaction, then no copy left in the file or the journal. */
export function replaceWrappedKeysSqlite(db: Database.Database, change: WrappedKeysChange): void {
  db.pragma('secure_delete = ON');
  db.transaction(() => {
    for (const u of wrappedKeyUpdates(change)) changedOne(db.prepare(u.sql).run(...u.args).changes);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** PostgreSQL: one transaction, then the tables rewritten without their dead rows. */
export async function replaceWrappedKeysPostgres(pool: pg.Pool, change: WrappedKeysChange): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const u of wrappedKeyUpdates(change)) {
      let n = 0;
      changedOne(
        (
          await client.query(
            u.sql.replace(/\?/g, () => `$${++n}`),
            [...u.args],
          )
        ).rowCount,
      );
    }
  });
  await pool.query(`VACUUM FULL ${KEY_TABLES}`);
}
