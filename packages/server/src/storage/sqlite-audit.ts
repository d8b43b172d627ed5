/**
 * SQLite's side of the audit log and of the storage's fault handling: appending a group of
 * records with the chain's head in one transaction, reading chains, carrying records written
 * before chains existed into the chained table, and which SQLite errors are faults.
 */
import type Database from 'better-sqlite3';
import { DEFAULT_AUDIT_CHAIN, legacyCanonicalAuditRecord } from '../audit-record.js';
import type { FaultPolicy } from './faults.js';
import { type AuditRecordRow, auditRecordFromRow } from './rows.js';
import type { AuditHead, StoredAuditRecord } from './storage.js';

type Statement = (sql: string) => Database.Statement;

export function auditHead(statement: Statement, chain: string): AuditHead | undefined {
  const row = statement('SELECT seq, hash FROM audit_heads WHERE chain = ?').get(chain) as
    { seq: number; hash: string } | undefined;
  return row && Object.freeze({ chain, seq: row.seq, hash: row.hash });
}

/** Inserts the sealed records and moves the head; to be run inside an IMMEDIATE transaction. */
export function appendAuditRecords(
  statement: Statement,
  chain: string,
  seal: (head: AuditHead | undefined) => readonly StoredAuditRecord[],
): void {
  const records = seal(auditHead(statement, chain));
  const insert = statement(
    'INSERT INTO audit_records (chain, seq, time, record, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const r of records) insert.run(chain, r.seq, r.time, r.record, r.prevHash, r.hash);
  const last = records[records.length - 1];
  if (last === undefined) return;
  statement(
    `INSERT INTO audit_heads (chain, seq, hash) VALUES (?, ?, ?)
       ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
  ).run(chain, last.seq, last.hash);
}

export function readAuditRecords(
  statement: Statement,
  chain: string,
  afterSeq: number,
  limit: number,
): StoredAuditRecord[] {
  const rows = statement(
    'SELECT chain, seq, time, record, prev_hash, hash FROM audit_records WHERE chain = ? AND seq > ? ORDER BY seq LIMIT ?',
  ).all(chain, afterSeq, limit) as AuditRecordRow[];
  return rows.map(auditRecordFromRow);
}

export function listAuditChains(statement: Statement): { chain: string; head: AuditHead | undefined }[] {
  const rows = statement(
    `SELECT c.chain AS chain, h.seq AS seq, h.hash AS hash FROM
       (SELECT chain FROM audit_heads UNION SELECT DISTINCT chain FROM audit_records) c
       LEFT JOIN audit_heads h ON h.chain = c.chain ORDER BY c.chain`,
  ).all() as { chain: string; seq: number | null; hash: string | null }[];
  return rows.map(({ chain, seq, hash }) => ({
    chain,
    head: seq === null || hash === null ? undefined : Object.freeze({ chain, seq, hash }),
  }));
}

interface LegacyRow {
  seq: number;
  time: number;
  principal: string | null;
  operation: string;
  domain_key: string | null;
  to_domain_key: string | null;
  items: number;
  status: number;
  outcome: string;
  request_id: string;
  caller_request_id: string | null;
  peer: string | null;
  prev_hash: string;
  hash: string;
}

function legacyText(row: LegacyRow): string {
  return legacyCanonicalAuditRecord({
    seq: row.seq,
    time: row.time,
    principal: row.principal,
    operation: row.operation,
    domainKey: row.domain_key,
    toDomainKey: row.to_domain_key,
    items: row.items,
    status: row.status,
    outcome: row.outcome,
    requestId: row.request_id,
    callerRequestId: row.caller_request_id,
    peer: row.peer,
  });
}

/**
 * Carries the records of the unchained log (schema version 2) into chain "main", each with the
 * text its hash was computed on, and its head; run inside the migration's transaction.
 */
export function importLegacyAuditLog(db: Database.Database): void {
  const insert = db.prepare(
    'INSERT INTO audit_records (chain, seq, time, record, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const page = db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1000');
  for (let rows = page.all(0) as LegacyRow[]; rows.length > 0; rows = page.all(rows.at(-1)!.seq) as LegacyRow[]) {
    for (const row of rows)
      insert.run(DEFAULT_AUDIT_CHAIN, row.seq, row.time, legacyText(row), row.prev_hash, row.hash);
  }
  const head = db.prepare("SELECT value FROM service_meta WHERE name = 'audit_head'").get() as
    { value: string } | undefined;
  if (head === undefined) return;
  const [seq, hash] = head.value.split(':');
  db.prepare('INSERT INTO audit_heads (chain, seq, hash) VALUES (?, ?, ?)').run(
    DEFAULT_AUDIT_CHAIN,
    Number(seq),
    hash ?? '',
  );
  db.prepare("DELETE FROM service_meta WHERE name = 'audit_head'").run();
}

/** SQLite's error codes (better-sqlite3 puts them on `code`, extended codes included). */
function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

const PASSING = /^SQLITE_(BUSY|LOCKED)/;
const FAULTS = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|NOMEM|PROTOCOL|PERM|NOLFS|AUTH)/;

export const SQLITE_FAULTS: FaultPolicy = {
  isPassing: (err) => PASSING.test(sqliteCode(err)),
  isFault: (err) =>
    FAULTS.test(sqliteCode(err)) ||
    // A request still running while the service closes.
    (err instanceof TypeError && err.message === 'The database connection is not open'),
};
