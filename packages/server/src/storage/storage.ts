/**
 * Storage behind one interface, so that the embedded SQLite default and PostgreSQL (several
 * instances) are interchangeable. Every secret arrives here already wrapped under the master key
 * (key-wrap.ts); storage never sees a key in the clear. The methods are asynchronous because
 * network databases are.
 */
import type { AccessRuleOperation, DomainConfig } from '../config.js';

/** A domain as stored: its definition and its wrapped secret scalar. */
export interface StoredDomain {
  readonly definition: DomainConfig;
  /** The domain scalar k_D, wrapped (Base64). Drawn once, never changed. */
  readonly wrappedScalar: string;
  readonly createdAt: number;
}

/** A transit key (AES-256, for transitInfo) of one domain, wrapped. */
export interface StoredTransitKey {
  readonly domainKey: string;
  readonly kid: string;
  readonly wrappedKey: string;
  readonly createdAt: number;
  /** When a newer key replaced it (ms since epoch); undefined for the active key. */
  readonly deactivatedAt: number | undefined;
}

/** The service's own RSA key pair (a recipient of every domain's secret keys), wrapped. */
export interface StoredServiceKey {
  readonly kid: string;
  /** PKCS#8 DER of the private key, wrapped (Base64). */
  readonly wrappedPrivateKey: string;
  readonly createdAt: number;
}

/** A principal known to the service: groups added by operators, and whether it is revoked. */
export interface StoredPrincipal {
  readonly id: string;
  readonly description: string;
  readonly groups: readonly string[];
  readonly createdAt: number;
  /** When it was revoked (ms since epoch); undefined while it may act. */
  readonly revokedAt: number | undefined;
}

/** What one process counted in one interval (traffic.ts): counts only, as JSON. */
export interface StoredTrafficSample {
  /** The process that counted (host and process id). */
  readonly process: string;
  /** The interval's time bucket, ms since the epoch. */
  readonly time: number;
  readonly counts: string;
}

/** Traffic samples of every process on this storage (the console's traffic charts). */
export interface TrafficSampleStore {
  /** Adds samples in one statement, and deletes every sample older than `pruneBefore`. */
  add(samples: readonly StoredTrafficSample[], pruneBefore: number): Promise<void>;
  /** The samples of every process with time > since, oldest first. */
  read(since: number): Promise<StoredTrafficSample[]>;
}

/** An access grant made through the admin API (added to the domain's configured access rule). */
export interface AccessGrant {
  readonly domainKey: string;
  readonly operation: AccessRuleOperation;
  /** `principal:<id>`, `group:<name>` or `*`. */
  readonly subject: string;
  readonly createdAt: number;
}

/**
 * One audited request. Never values, points or transitInfo. Records form chains (one per
 * instance, or one shared): `seq` counts 1, 2, 3… within its chain.
 */
export interface AuditRecord {
  readonly chain: string;
  readonly seq: number;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly principal: string | null;
  readonly operation: string;
  readonly domainKey: string | null;
  readonly toDomainKey: string | null;
  readonly items: number;
  readonly status: number;
  readonly outcome: string;
  readonly requestId: string;
  readonly callerRequestId: string | null;
  readonly peer: string | null;
}

/**
 * An audit record as stored: its canonical text, which is exactly what the hash covers
 * (`hash = SHA-256(prevHash ‖ "\n" ‖ record)`), so that storing it cannot change it. The columns
 * beside it (chain, seq, time) are for finding records; verification checks they match the text.
 */
export interface StoredAuditRecord {
  readonly chain: string;
  readonly seq: number;
  readonly time: number;
  /** The canonical text (ASCII-only JSON, see audit-record.ts). */
  readonly record: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** The last record of a chain, kept apart from the records so that deleting the tail is detected. */
export interface AuditHead {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
}

/** Keys wrapped again (moved into another key store): every row named gets its new value. */
export interface WrappedKeysChange {
  readonly domains: readonly { readonly domainKey: string; readonly wrappedScalar: string }[];
  readonly transitKeys: readonly { readonly domainKey: string; readonly kid: string; readonly wrappedKey: string }[];
  readonly serviceKeys: readonly { readonly kid: string; readonly wrappedPrivateKey: string }[];
  /** Meta entries' new values. */
  readonly meta: Readonly<Record<string, string>>;
}

export interface Storage {
  /** Brings the schema to the latest version (versioned migrations, idempotent). */
  migrate(): Promise<void>;
  /**
   * Resolves when the database takes a write as requests make them (a probe row written in a
   * transaction like the audit's), for readiness: not a read alone. Bounded in time.
   */
  ping(): Promise<void>;
  getMeta(name: string): Promise<string | undefined>;
  setMeta(name: string, value: string): Promise<void>;

  getServiceKey(): Promise<StoredServiceKey | undefined>;
  insertServiceKey(key: StoredServiceKey): Promise<void>;

  listDomains(): Promise<StoredDomain[]>;
  getDomain(domainKey: string): Promise<StoredDomain | undefined>;
  /** Creates a domain together with its first transit key, atomically. */
  insertDomain(domain: StoredDomain, firstTransitKey: StoredTransitKey): Promise<void>;
  /** Replaces a domain's definition (description, TTL, owners, access rule); never the scalar. */
  updateDomainDefinition(definition: DomainConfig): Promise<void>;

  /**
   * Replaces wrapped keys and meta entries, atomically, leaving no copy of the old values in the
   * database (storage/wrapped-keys.ts).
   */
  replaceWrappedKeys(change: WrappedKeysChange): Promise<void>;

  listTransitKeys(domainKey: string): Promise<StoredTransitKey[]>;
  /** Deactivates the active key at `now` and makes `next` the active one, atomically. */
  rotateTransitKey(next: StoredTransitKey, now: number): Promise<void>;
  /** Deletes retired transit keys. */
  deleteTransitKeys(domainKey: string, kids: readonly string[]): Promise<void>;

  getPrincipal(id: string): Promise<StoredPrincipal | undefined>;
  listPrincipals(): Promise<StoredPrincipal[]>;
  /** Creates or updates a principal's description and groups (its revocation state is kept). */
  savePrincipal(principal: { id: string; description: string; groups: readonly string[] }, now: number): Promise<void>;
  /** Revokes a principal (creating its record when it has none); false when it was revoked already. */
  revokePrincipal(id: string, now: number): Promise<boolean>;
  /** Lets a revoked principal act again; false when it was not revoked. */
  reinstatePrincipal(id: string): Promise<boolean>;
  /** Whether the client certificate with this SHA-256 fingerprint (hex) is revoked. */
  isCertificateRevoked(fingerprint: string): Promise<boolean>;
  revokeCertificate(fingerprint: string, now: number): Promise<boolean>;

  listAccessGrants(domainKey?: string): Promise<AccessGrant[]>;
  /** False when the grant exists already. */
  addAccessGrant(grant: AccessGrant): Promise<boolean>;
  /** False when there was no such grant. */
  removeAccessGrant(domainKey: string, operation: AccessRuleOperation, subject: string): Promise<boolean>;

  /**
   * Adds `items` to a principal's usage of an operation on a day, unless that would pass `limit`:
   * atomically. Returns whether it was counted and the day's total.
   */
  addUsage(
    principalId: string,
    operation: string,
    day: string,
    items: number,
    limit: number | undefined,
  ): Promise<{ counted: boolean; total: number }>;

  /**
   * Appends records to the end of one chain in ONE transaction (a group commit): `seal` gets the
   * chain's head (undefined before its first record) and returns the records to store, chained to
   * it; the new head is stored in the same transaction. `seal` may be called again when the
   * transaction is retried. Resolves once committed.
   */
  appendAudit(chain: string, seal: (head: AuditHead | undefined) => readonly StoredAuditRecord[]): Promise<void>;
  /** Records of one chain with seq > afterSeq, in order, at most `limit`. */
  readAudit(chain: string, afterSeq: number, limit: number): Promise<StoredAuditRecord[]>;
  /** Every chain that has records or a head, by name, with its stored head (if any). */
  listAuditChains(): Promise<{ chain: string; head: AuditHead | undefined }[]>;

  /**
   * Runs `work` while no other process runs its own `exclusively` work on this database: the
   * first start's set-up (master key check, service key, configured domains) is done once when
   * instances start together.
   */
  exclusively<T>(work: () => Promise<T>): Promise<T>;
  /**
   * The version of the shared definitions (domains and their transit keys): it grows with every
   * change, made through any instance or the CLI, in the change's own transaction.
   */
  definitionsVersion(): Promise<number>;
  /**
   * Calls `listener` soon after any process changes the definitions, where the database can say
   * so (PostgreSQL LISTEN/NOTIFY); elsewhere never, and instances poll {@link definitionsVersion}.
   * Resolves to the function that stops listening.
   */
  watchDefinitions(listener: () => void): Promise<() => Promise<void>>;
  /**
   * Takes one token from the principal's bucket (`burst` tokens, refilled at `perSecond`),
   * atomically across instances. When it is empty: not taken, and the seconds until a token.
   */
  takeRateToken(
    principalId: string,
    limit: { perSecond: number; burst: number },
    now: number,
  ): Promise<{ taken: boolean; retryAfterSeconds: number }>;

  /**
   * Single use of a pseudonym in transit: remembers its (domain, jti) until `keepUntil` (ms since
   * the epoch) and resolves true, or resolves false when it is remembered already (a second use).
   * Atomic across processes: of any number of concurrent calls with the same domain and jti,
   * exactly one resolves true. Now and then (bounded) it also deletes the rows kept until before
   * `now` (ms), so the table holds only transits that could still be accepted.
   */
  useTransitOnce(domainKey: string, jti: string, keepUntil: number, now: number): Promise<boolean>;

  readonly trafficSamples: TrafficSampleStore;

  close(): Promise<void>;
}

/** Seconds until a bucket holding `tokens` has one again. */
export function secondsUntilToken(tokens: number, perSecond: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / perSecond));
}
