/**
 * The traffic samples table (migration 4) for both storages: one multi-row INSERT per write, the
 * pruning of old samples in the same transaction (statement), and reads of the samples after a time.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { StoredTrafficSample, TrafficSampleStore } from './storage.js';

const PRUNE_SQL = 'DELETE FROM traffic_samples WHERE sample_time < ?';
const READ_SQL =
  'SELECT process_id, sample_time, counts FROM traffic_samples WHERE sample_time > ? ORDER BY sample_time, process_id';

interface Row {
  process_id: string;
  sample_time: number | string;
  counts: string;
}

const fromRow = (r: Row): StoredTrafficSample => ({
  process: r.process_id,
  time: Number(r.sample_time),
  counts: r.counts,
});

const values = (samples: readonly StoredTrafficSample[]): unknown[] =>
  samples.flatMap((s) => [s.process, s.time, s.counts]);

/** `INSERT … VALUES (?, ?, ?), (?, ?, ?)…` with `placeholder(i)` for the i-th (0-based) value. */
function insertSql(count: number, placeholder: (i: number) => string): string {
  const rows = Array.from({ length: count }, (_, r) => `(${[0, 1, 2].map((c) => placeholder(r * 3 + c)).join(', ')})`);
  return `INSERT INTO traffic_samples (process_id, sample_time, counts) VALUES ${rows.join(', ')}`;
}

export function trafficSamplesSqlite(db: () => Database.Database): TrafficSampleStore {
  return {
    async add(samples, pruneBefore) {
      const d = db();
      d.transaction(() => {
        if (samples.length > 0) d.prepare(insertSql(samples.length, () => '?')).run(...values(samples));
        d.prepare(PRUNE_SQL).run(pruneBefore);
      })();
    },
    async read(since) {
      return (db().prepare(READ_SQL).all(since) as Row[]).map(fromRow);
    },
  };
}

const numbered = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

/** PostgreSQL: the pruning and the insert in one statement (a data-modifying WITH), so one round trip. */
export function trafficSamplesPostgres(pool: () => pg.Pool): TrafficSampleStore {
  return {
    async add(samples, pruneBefore) {
      const prune = numbered(PRUNE_SQL);
      if (samples.length === 0) await pool().query(prune, [pruneBefore]);
      else {
        const insert = insertSql(samples.length, (i) => `$${i + 2}`);
        await pool().query(`WITH pruned AS (${prune}) ${insert}`, [pruneBefore, ...values(samples)]);
      }
    },
    async read(since) {
      return (await pool().query<Row>(numbered(READ_SQL), [since])).rows.map(fromRow);
    },
  };
}
