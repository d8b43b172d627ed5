/**
 * The audit record's canonical text and its chain link. The text is what is stored AND what is
 * hashed, byte for byte: `hash = SHA-256(prevHash ‖ "\n" ‖ text)`, the first record of a chain
 * linked to 64 zeros. It is JSON with every character outside printable ASCII escaped (`\uXXXX`),
 * so that no input — lone surrogates, NUL, any Unicode — can be altered by a database's text
 * encoding and break verification later.
 *
 * Records written before chains existed are JSON arrays of the fields (chain "main"); they are
 * read and verified as they were stored.
 */
import { createHash } from 'node:crypto';
import type { AuditHead, AuditRecord, StoredAuditRecord } from './storage/storage.js';

export const GENESIS_HASH = '0'.repeat(64);

/** The chain of a service that names none (one instance, or instances sharing one chain). */
export const DEFAULT_AUDIT_CHAIN = 'main';

/** What a request's record says; the chain, seq and time are the log's. */
export type AuditEntry = Omit<AuditRecord, 'chain' | 'seq' | 'time'>;

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

function escapeCodeUnit(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** The canonical text: an object with the fields in a fixed order, ASCII only. */
export function canonicalAuditRecord(r: AuditRecord): string {
  const text = JSON.stringify({
    chain: r.chain,
    seq: r.seq,
    time: r.time,
    principal: r.principal,
    operation: r.operation,
    domainKey: r.domainKey,
    toDomainKey: r.toDomainKey,
    items: r.items,
    status: r.status,
    outcome: r.outcome,
    requestId: r.requestId,
    callerRequestId: r.callerRequestId,
    peer: r.peer,
  });
  // JSON.stringify already escapes control characters and lone surrogates; this escapes the rest.
  return text.replace(NOT_PRINTABLE_ASCII, escapeCodeUnit);
}

/** The text of a record written before chains existed (a JSON array, chain "main"). */
export function legacyCanonicalAuditRecord(r: Omit<AuditRecord, 'chain'>): string {
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

const LEGACY_FIELDS = [
  'seq',
  'time',
  'principal',
  'operation',
  'domainKey',
  'toDomainKey',
  'items',
  'status',
  'outcome',
  'requestId',
  'callerRequestId',
  'peer',
] as const;

/** The record a stored text holds; undefined when it is not a record. */
export function parseAuditRecord(text: string): AuditRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) {
    if (parsed.length !== LEGACY_FIELDS.length) return undefined;
    const fields = Object.fromEntries(LEGACY_FIELDS.map((name, i) => [name, parsed[i] as unknown]));
    return Object.freeze({ chain: DEFAULT_AUDIT_CHAIN, ...fields }) as AuditRecord;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const r = parsed as Partial<AuditRecord>;
  if (typeof r.chain !== 'string' || typeof r.seq !== 'number' || typeof r.time !== 'number') return undefined;
  return Object.freeze(r as AuditRecord);
}

export function chainHash(prevHash: string, text: string): string {
  return createHash('sha256').update(`${prevHash}\n${text}`).digest('hex');
}

/** The stored form of `entries`, appended in order after `head` on `chain`. */
export function sealAuditRecords(
  chain: string,
  head: AuditHead | undefined,
  entries: readonly { entry: AuditEntry; time: number }[],
): StoredAuditRecord[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  return entries.map(({ entry, time }) => {
    seq += 1;
    const record = canonicalAuditRecord({ ...entry, chain, seq, time });
    const hash = chainHash(prevHash, record);
    const stored = Object.freeze({ chain, seq, time, record, prevHash, hash });
    prevHash = hash;
    return stored;
  });
}
