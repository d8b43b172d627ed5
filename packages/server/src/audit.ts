/**
 * The audit log: one append-only record per request — time, principal, operation, domain(s),
 * item count, status and outcome, request ids, peer address — and never values, points or
 * transitInfo. Records are hash-chained: `hash = SHA-256(prevHash ‖ "\n" ‖ canonical record)`,
 * the first record chained to 64 zeros, and the last record's seq and hash kept beside the log,
 * so that changing, inserting, reordering or deleting any record (the last ones included) is
 * detected by {@link verifyAuditLog}.
 *
 * Not protected against: someone with write access to the database rewriting the whole chain
 * from the changed record on. Anchor it elsewhere: `blindpseudo audit verify` prints the head
 * hash, to be copied out regularly (a ticket, a transparency log).
 */
import { createHash } from 'node:crypto';
import type { AuditHead, AuditRecord, Storage, StoredAuditRecord } from './storage/storage.js';

export const GENESIS_HASH = '0'.repeat(64);

/** What a caller of {@link AuditLog.append} gives: the rest (seq, time, chain) is the log's. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'time'>;

/** The canonical encoding: a JSON array of the fields in a fixed order, null for absent. */
export function canonicalAuditRecord(r: AuditRecord): string {
  return JSON.stringify([
    r.seq,
    r.time,
    r.principal,
    r.operation,
    r.domainKey,
    r.toDomainKey,
    r.items,
    r.status,
    r.outcome,
    r.requestId,
    r.callerRequestId,
    r.peer,
  ]);
}

export function chainHash(prevHash: string, record: AuditRecord): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalAuditRecord(record)}`)
    .digest('hex');
}

export class AuditLog {
  readonly #storage: Storage;
  readonly #now: () => number;

  constructor(storage: Storage, now: () => number) {
    this.#storage = storage;
    this.#now = now;
  }

  async append(entry: AuditEntry): Promise<StoredAuditRecord> {
    const time = this.#now();
    return this.#storage.appendAudit((head: AuditHead | undefined) => {
      const prevHash = head?.hash ?? GENESIS_HASH;
      const record: AuditRecord = { ...entry, seq: (head?.seq ?? 0) + 1, time };
      return Object.freeze({ ...record, prevHash, hash: chainHash(prevHash, record) });
    });
  }
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly records: number;
  readonly head: AuditHead | undefined;
  /** One line per finding, naming the record(s). */
  readonly findings: readonly string[];
}

const PAGE = 1000;

/** Reads the whole log in order and checks every link, every hash and the stored head. */
export async function verifyAuditLog(storage: Storage): Promise<AuditVerification> {
  const findings: string[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let records = 0;
  let last: StoredAuditRecord | undefined;
  for (;;) {
    const page = await storage.readAudit(last?.seq ?? 0, PAGE);
    for (const r of page) {
      records += 1;
      if (r.seq !== expectedSeq) {
        findings.push(
          r.seq > expectedSeq
            ? `record ${expectedSeq}${r.seq - 1 > expectedSeq ? ` to ${r.seq - 1}` : ''} deleted (before record ${r.seq})`
            : `record ${r.seq} is out of order`,
        );
      } else if (r.prevHash !== prevHash) {
        findings.push(`record ${r.seq} does not chain to record ${r.seq - 1} (record ${r.seq - 1} was changed)`);
      }
      if (chainHash(r.prevHash, r) !== r.hash) findings.push(`record ${r.seq} was changed (its hash does not match)`);
      expectedSeq = r.seq + 1;
      prevHash = r.hash;
      last = r;
    }
    if (page.length < PAGE) break;
  }
  const head = await storage.getAuditHead();
  if (head === undefined && last !== undefined) findings.push('the log head is missing');
  if (head !== undefined) {
    if (last === undefined || head.seq > last.seq)
      findings.push(
        `record ${(last?.seq ?? 0) + 1}${head.seq > (last?.seq ?? 0) + 1 ? ` to ${head.seq}` : ''} deleted (the end of the log)`,
      );
    else if (head.seq < last.seq || head.hash !== last.hash)
      findings.push(`the log head (record ${head.seq}) does not match record ${last.seq}`);
  }
  return Object.freeze({ ok: findings.length === 0, records, head, findings: Object.freeze(findings) });
}

/** Every record, in order (for `blindpseudo audit export`). */
export async function* readAuditLog(storage: Storage): AsyncGenerator<StoredAuditRecord> {
  let after = 0;
  for (;;) {
    const page = await storage.readAudit(after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.seq;
  }
}
