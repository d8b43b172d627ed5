/**
 * The audit log: one append-only record per request — time, principal, operation, domain(s),
 * item count, status and outcome, request ids, peer address — and never values, points or
 * transitInfo. A request is answered only once its record is committed (request-security.ts):
 * records waiting together share one transaction (a group commit), so that durability costs one
 * commit per group, not one per request.
 *
 * Records are hash-chained (audit-record.ts), in one chain per instance or one shared chain, each
 * numbered 1, 2, 3… with its head (last seq and hash) stored apart from the records, so that
 * changing, inserting, reordering or deleting any record of any chain (the last ones included)
 * is detected by {@link verifyAuditLog}.
 *
 * Not protected against: someone with write access to the database rewriting a whole chain from
 * the changed record on, or deleting a whole chain with its head. Anchor it elsewhere:
 * `blindpseudo audit verify` prints each chain's head hash, to be copied out regularly (a
 * ticket, a transparency log).
 */
import {
  type AuditEntry,
  DEFAULT_AUDIT_CHAIN,
  GENESIS_HASH,
  chainHash,
  parseAuditRecord,
  sealAuditRecords,
} from './audit-record.js';
import type { AuditHead, AuditRecord, Storage, StoredAuditRecord } from './storage/storage.js';

/** Most records committed in one transaction. */
const MAX_GROUP = 500;

interface Waiting {
  readonly entry: AuditEntry;
  readonly time: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export interface AuditLogOptions {
  /** The chain this log appends to (default "main"); one per instance avoids waiting on each other. */
  chain?: string;
}

export class AuditLog {
  readonly #storage: Storage;
  readonly #now: () => number;
  readonly #chain: string;
  #waiting: Waiting[] = [];
  /** The commit loop while it runs; undefined when idle. */
  #committing: Promise<void> | undefined;
  #lastFailureAt: number | undefined;
  #lastSuccessAt: number | undefined;

  constructor(storage: Storage, now: () => number, options: AuditLogOptions = {}) {
    this.#storage = storage;
    this.#now = now;
    this.#chain = options.chain ?? DEFAULT_AUDIT_CHAIN;
  }

  get chain(): string {
    return this.#chain;
  }

  /**
   * When the last commit failed (ms since the epoch), if it failed after the last success:
   * readiness uses it, since a record that cannot be written means requests are refused.
   */
  get failingSince(): number | undefined {
    const failed = this.#lastFailureAt;
    return failed !== undefined && (this.#lastSuccessAt ?? 0) <= failed ? failed : undefined;
  }

  /** Resolves once the record is committed; rejects (with the storage's error) when it cannot be. */
  append(entry: AuditEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ entry, time: this.#now(), resolve, reject });
      // The first waiter starts the loop after the current I/O callbacks: the records of requests
      // answered in the same turn of the event loop go in the same transaction.
      this.#committing ??= new Promise<void>((started) => setImmediate(started)).then(() => this.#commitAll());
    });
  }

  async #commitAll(): Promise<void> {
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0, MAX_GROUP);
      try {
        await this.#storage.appendAudit(this.#chain, (head) => sealAuditRecords(this.#chain, head, group));
        this.#lastSuccessAt = Date.now();
        for (const w of group) w.resolve();
      } catch (err) {
        this.#lastFailureAt = Date.now();
        for (const w of group) w.reject(err);
      }
    }
    this.#committing = undefined;
  }

  /** Resolves when every record appended so far is committed or refused. */
  async flush(): Promise<void> {
    while (this.#committing !== undefined) await this.#committing;
  }
}

export interface AuditChainVerification {
  readonly chain: string;
  readonly records: number;
  readonly head: AuditHead | undefined;
}

export interface AuditVerification {
  readonly ok: boolean;
  /** Records in all chains. */
  readonly records: number;
  readonly chains: readonly AuditChainVerification[];
  /** One line per finding, naming the chain and the record(s). */
  readonly findings: readonly string[];
}

const PAGE = 1000;

function range(from: number, to: number): string {
  return to > from ? `${from} to ${to}` : `${from}`;
}

/** The findings on one stored record, given the seq and hash it must follow. */
function checkRecord(r: StoredAuditRecord, chain: string, expectedSeq: number, prevHash: string): string[] {
  const findings: string[] = [];
  if (r.seq > expectedSeq) findings.push(`record ${range(expectedSeq, r.seq - 1)} deleted (before record ${r.seq})`);
  else if (r.seq < expectedSeq) findings.push(`record ${r.seq} is out of order`);
  else if (r.prevHash !== prevHash)
    findings.push(`record ${r.seq} does not chain to record ${r.seq - 1} (record ${r.seq - 1} was changed)`);
  const parsed = parseAuditRecord(r.record);
  if (chainHash(r.prevHash, r.record) !== r.hash)
    findings.push(`record ${r.seq} was changed (its hash does not match)`);
  else if (parsed === undefined || parsed.chain !== chain || parsed.seq !== r.seq || parsed.time !== r.time)
    findings.push(`record ${r.seq} was changed (its columns do not match its text)`);
  return findings;
}

/** Reads one chain in order and checks every link, every hash and the stored head. */
async function verifyChain(
  storage: Storage,
  chain: string,
  head: AuditHead | undefined,
  findings: string[],
): Promise<AuditChainVerification> {
  const note = (finding: string): number => findings.push(`chain ${chain}: ${finding}`);
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let records = 0;
  let last: StoredAuditRecord | undefined;
  for (;;) {
    const page = await storage.readAudit(chain, last?.seq ?? 0, PAGE);
    for (const r of page) {
      records += 1;
      checkRecord(r, chain, expectedSeq, prevHash).forEach(note);
      expectedSeq = r.seq + 1;
      prevHash = r.hash;
      last = r;
    }
    if (page.length < PAGE) break;
  }
  const lastSeq = last?.seq ?? 0;
  if (head === undefined) note('the head is missing');
  else if (head.seq > lastSeq) note(`record ${range(lastSeq + 1, head.seq)} deleted (the end of the log)`);
  else if (head.seq < lastSeq || head.hash !== last?.hash)
    note(`the head (record ${head.seq}) does not match record ${lastSeq}`);
  return Object.freeze({ chain, records, head });
}

/** Checks every chain: links, hashes, gaps, and each chain's end against its stored head. */
export async function verifyAuditLog(storage: Storage): Promise<AuditVerification> {
  const findings: string[] = [];
  const chains: AuditChainVerification[] = [];
  for (const { chain, head } of await storage.listAuditChains()) {
    chains.push(await verifyChain(storage, chain, head, findings));
  }
  return Object.freeze({
    ok: findings.length === 0,
    records: chains.reduce((sum, c) => sum + c.records, 0),
    chains: Object.freeze(chains),
    findings: Object.freeze(findings),
  });
}

/** An exported record: its fields, and its link. */
export type ExportedAuditRecord = AuditRecord & { readonly prevHash: string; readonly hash: string };

/** Records of one chain with seq > `afterSeq`, at most `limit`, with their fields read from their text. */
export async function readAuditPage(
  storage: Storage,
  chain: string,
  afterSeq: number,
  limit: number,
): Promise<ExportedAuditRecord[]> {
  return (await storage.readAudit(chain, afterSeq, limit)).map((r) => {
    const fields = parseAuditRecord(r.record) ?? { chain, seq: r.seq, time: r.time };
    return Object.freeze({ ...fields, prevHash: r.prevHash, hash: r.hash }) as ExportedAuditRecord;
  });
}

/** Every record, chain by chain, in order (for `blindpseudo audit export`). */
export async function* readAuditLog(storage: Storage): AsyncGenerator<ExportedAuditRecord> {
  for (const { chain } of await storage.listAuditChains()) {
    let after = 0;
    for (;;) {
      const page = await readAuditPage(storage, chain, after, PAGE);
      yield* page;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.seq;
    }
  }
}
