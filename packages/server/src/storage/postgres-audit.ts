/**
 * PostgreSQL's side of the audit log and of the storage's fault handling: appending a group of
 * records to one chain in one transaction, under a transaction-scoped advisory lock of that chain
 * (instances with their own chains never wait on each other; instances sharing one take turns),
 * reading chains, and which PostgreSQL errors are faults.
 */
import type pg from 'pg';
import type { FaultPolicy } from './faults.js';
import { type AuditRecordRow, auditRecordFromRow } from './rows.js';
import type { AuditHead, StoredAuditRecord } from './storage.js';

/** The advisory lock space of audit chains (any constant, unique to this schema). */
const AUDIT_LOCK_SEED = 7_305_002;

/** Inserts the sealed records and moves the head; `client` is inside a transaction. */
export async function appendAuditRecords(
  client: pg.PoolClient,
  chain: string,
  seal: (head: AuditHead | undefined) => readonly StoredAuditRecord[],
): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, $2))', [chain, AUDIT_LOCK_SEED]);
  const row = (await client.query('SELECT seq, hash FROM audit_heads WHERE chain = $1', [chain])).rows[0] as
    { seq: number; hash: string } | undefined;
  const records = seal(row && Object.freeze({ chain, seq: row.seq, hash: row.hash }));
  const last = records[records.length - 1];
  if (last === undefined) return;
  const values = records.map(
    (_, i) => `($${6 * i + 1}, $${6 * i + 2}, $${6 * i + 3}, $${6 * i + 4}, $${6 * i + 5}, $${6 * i + 6})`,
  );
  await client.query(
    `INSERT INTO audit_records (chain, seq, time, record, prev_hash, hash) VALUES ${values.join(', ')}`,
    records.flatMap((r) => [chain, r.seq, r.time, r.record, r.prevHash, r.hash]),
  );
  await client.query(
    `INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, $2, $3)
       ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    [chain, last.seq, last.hash],
  );
}

export async function readAuditRecords(
  pool: pg.Pool,
  chain: string,
  afterSeq: number,
  limit: number,
): Promise<StoredAuditRecord[]> {
  const { rows } = await pool.query(
    `SELECT chain, seq, time, record, prev_hash, hash FROM audit_records
       WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [chain, afterSeq, limit],
  );
  return (rows as AuditRecordRow[]).map(auditRecordFromRow);
}

export async function listAuditChains(pool: pg.Pool): Promise<{ chain: string; head: AuditHead | undefined }[]> {
  const { rows } = await pool.query(
    `SELECT c.chain AS chain, h.seq AS seq, h.hash AS hash FROM
       (SELECT chain FROM audit_heads UNION SELECT DISTINCT chain FROM audit_records) c
       LEFT JOIN audit_heads h ON h.chain = c.chain ORDER BY c.chain`,
  );
  return (rows as { chain: string; seq: number | null; hash: string | null }[]).map(({ chain, seq, hash }) => ({
    chain,
    head: seq === null || hash === null ? undefined : Object.freeze({ chain, seq, hash }),
  }));
}

/** SQLSTATE classes of faults: connection (08), resources such as disk full (53), operator intervention (57: shutdown, statement timeout), system (58), internal (XX). */
const FAULT_STATE = /^(08|53|57|58|XX)/;
/** Serialization failure, deadlock, lock not available: worth another try. */
const PASSING_STATE = /^(40001|40P01|55P03)$/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const POSTGRES_FAULTS: FaultPolicy = {
  isPassing: (err) => PASSING_STATE.test(sqlState(err) ?? ''),
  isFault: (err) => {
    const code = sqlState(err);
    if (code !== undefined) return FAULT_STATE.test(code) || NETWORK_CODES.has(code);
    // node-postgres's own connection errors carry no code: "Connection terminated unexpectedly",
    // "timeout exceeded when trying to connect", "Query read timeout", a pool that was ended.
    return err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError);
  },
};
