/**
 * The single-use transits table (migration 7) for both storages: one atomic INSERT … ON CONFLICT
 * DO NOTHING per use, whose row count says whether this call was the first (the database's unique
 * key decides between concurrent calls of any process), and the deletion of expired rows now and
 * then, in bounded batches, before an insert.
 *
 * Never stores more than the domain key, the `jti` and a time: no value, point or transitInfo.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

/** Most expired rows deleted at once; a full batch makes the next use delete again. */
export const TRANSIT_USES_PRUNE_BATCH = 500;
/** Least time between two deletions of expired rows by one process (while batches are not full). */
const PRUNE_INTERVAL_MS = 1000;

const INSERT_SQL =
  'INSERT INTO transit_uses (domain_key, jti, keep_until) VALUES (?, ?, ?) ON CONFLICT (domain_key, jti) DO NOTHING';
const PRUNE_SQLITE =
  'DELETE FROM transit_uses WHERE rowid IN (SELECT rowid FROM transit_uses WHERE keep_until < ? LIMIT ?)';
// SKIP LOCKED: instances pruning at the same moment delete different rows instead of waiting.
const PRUNE_POSTGRES = `DELETE FROM transit_uses WHERE (domain_key, jti) IN
  (SELECT domain_key, jti FROM transit_uses WHERE keep_until < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`;

/** One use: the transit's domain and jti, kept until `keepUntil`; `now` for the pruning (ms). */
export interface TransitUse {
  readonly domainKey: string;
  readonly jti: string;
  readonly keepUntil: number;
  readonly now: number;
}

/** When a process deletes expired rows: at most once a second, at once again after a full batch. */
export class TransitUsesPruning {
  #nextAt = Number.NEGATIVE_INFINITY;

  /** Whether to prune now; if so, the next uses wait (concurrent calls prune once). */
  claim(now: number): boolean {
    if (now < this.#nextAt) return false;
    this.#nextAt = now + PRUNE_INTERVAL_MS;
    return true;
  }

  pruned(deleted: number, now: number): void {
    if (deleted >= TRANSIT_USES_PRUNE_BATCH) this.#nextAt = now;
  }
}

/** SQLite: pruning and insert in one write transaction. */
export function useTransitOnceSqlite(
  write: <T>(work: () => T) => T,
  statement: (sql: string) => Database.Statement,
  pruning: TransitUsesPruning,
  use: TransitUse,
): boolean {
  return write(() => {
    if (pruning.claim(use.now))
      pruning.pruned(statement(PRUNE_SQLITE).run(use.now, TRANSIT_USES_PRUNE_BATCH).changes, use.now);
    return statement(INSERT_SQL).run(use.domainKey, use.jti, use.keepUntil).changes > 0;
  });
}

const numbered = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};
const INSERT_POSTGRES = numbered(INSERT_SQL);

/** PostgreSQL: the pruning (when due) and the insert, each one statement on the pool. */
export async function useTransitOncePostgres(
  pool: pg.Pool,
  pruning: TransitUsesPruning,
  use: TransitUse,
): Promise<boolean> {
  if (pruning.claim(use.now)) {
    const deleted = await pool.query(PRUNE_POSTGRES, [use.now, TRANSIT_USES_PRUNE_BATCH]);
    pruning.pruned(deleted.rowCount ?? 0, use.now);
  }
  const inserted = await pool.query(INSERT_POSTGRES, [use.domainKey, use.jti, use.keepUntil]);
  return (inserted.rowCount ?? 0) > 0;
}
