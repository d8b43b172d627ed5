/**
 * Searching the audit log for the operator console: records matching a filter (time range,
 * principal, domain, operation, outcome), a page at a time, in the order of one chain (the
 * default chain unless another is named). The log is read through `Storage.readAudit` pages, so
 * every storage supports it: the start of a time range is found by bisection on the sequence
 * numbers (records are appended in time order), and a page stops after reading at most
 * `SCAN_BUDGET` records, answering where to go on from.
 */
import { type ExportedAuditRecord, readAuditPage } from './audit.js';
import { DEFAULT_AUDIT_CHAIN } from './audit-record.js';
import type { AuditHead, Storage } from './storage/storage.js';

export interface AuditFilter {
  /** Milliseconds since the epoch, inclusive. */
  readonly from?: number;
  /** Milliseconds since the epoch, exclusive. */
  readonly to?: number;
  readonly principal?: string;
  /** Matches the domain or the target domain of a convert. */
  readonly domain?: string;
  readonly operation?: string;
  /** `success`, `failure` (anything else), or an outcome exactly (a problem type's name). */
  readonly outcome?: string;
}

export interface AuditPage {
  /** The chain searched. */
  readonly chain: string;
  readonly records: readonly ExportedAuditRecord[];
  /** The `after` of the next page; absent at the end of the log. */
  readonly next?: number;
  readonly head: AuditHead | undefined;
}

const READ = 500;
export const SCAN_BUDGET = 20_000;

export function matchesAudit(r: ExportedAuditRecord, f: AuditFilter): boolean {
  if (f.from !== undefined && r.time < f.from) return false;
  if (f.to !== undefined && r.time >= f.to) return false;
  if (f.principal !== undefined && r.principal !== f.principal) return false;
  if (f.domain !== undefined && r.domainKey !== f.domain && r.toDomainKey !== f.domain) return false;
  if (f.operation !== undefined && r.operation !== f.operation) return false;
  if (f.outcome === 'failure') return r.outcome !== 'success';
  if (f.outcome !== undefined && r.outcome !== f.outcome) return false;
  return true;
}

/** The largest seq before the first record at or after `time` (0 when there is none). */
async function seqBefore(storage: Storage, time: number, head: AuditHead): Promise<number> {
  const chain = head.chain;
  let low = 0; // every record up to `low` is before `time`
  let high = head.seq; // the records after `high`, if any, are at or after `time`
  while (low < high) {
    const mid = Math.floor((low + high + 1) / 2);
    const [r] = await storage.readAudit(chain, mid - 1, 1);
    if (r === undefined || r.time >= time) high = mid - 1;
    else low = Math.min(r.seq, high);
  }
  return low;
}

/** One page of records matching `filter` with seq > `after`. */
export async function searchAudit(
  storage: Storage,
  filter: AuditFilter,
  page: { after: number; limit: number; chain?: string },
): Promise<AuditPage> {
  const chains = await storage.listAuditChains();
  const chain =
    page.chain ?? (chains.find((c) => c.chain === DEFAULT_AUDIT_CHAIN) ?? chains[0])?.chain ?? DEFAULT_AUDIT_CHAIN;
  const head = chains.find((c) => c.chain === chain)?.head;
  let after = page.after;
  if (head !== undefined && filter.from !== undefined && after === 0)
    after = await seqBefore(storage, filter.from, head);
  const records: ExportedAuditRecord[] = [];
  let scanned = 0;
  for (;;) {
    const batch = await readAuditPage(storage, chain, after, READ);
    for (const r of batch) {
      after = r.seq;
      scanned += 1;
      if (filter.to !== undefined && r.time >= filter.to) return { chain, records, head };
      if (matchesAudit(r, filter)) records.push(r);
      if (records.length === page.limit || scanned >= SCAN_BUDGET) {
        const more = r.seq < (head?.seq ?? 0);
        return more ? { chain, records, next: r.seq, head } : { chain, records, head };
      }
    }
    if (batch.length < READ) return { chain, records, head };
  }
}

/** Every record matching `filter`, chain by chain, in order (export). */
export async function* exportAudit(storage: Storage, filter: AuditFilter): AsyncGenerator<ExportedAuditRecord> {
  for (const { chain } of await storage.listAuditChains()) {
    let after = 0;
    for (;;) {
      const page = await searchAudit(storage, filter, { after, limit: READ, chain });
      yield* page.records;
      if (page.next === undefined) break;
      after = page.next;
    }
  }
}
