/**
 * SQLite storage (better-sqlite3): the embedded default, one file created on first start.
 * WAL mode, foreign keys on; the file is created with mode 0600.
 *
 * better-sqlite3 is synchronous: a connection waiting for a lock held by another process would
 * block the whole event loop. So SQLite's own busy wait is off, and every method goes through
 * the fault boundary (faults.ts): a lock is waited for asynchronously, with backoff, for at most
 * `lockWaitMs`; then, or on a fault (disk full, I/O error), the method throws
 * StorageUnavailableError (503).
 */
import { trafficSamplesSqlite } from './traffic-samples.js';
import { TransitUsesPruning, useTransitOnceSqlite } from './transit-uses.js';
import { replaceWrappedKeysSqlite } from './wrapped-keys.js';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AccessRuleOperation, DomainConfig } from '../config.js';
import { BUMP_DEFINITIONS_SQL, DEFINITIONS_VERSION_SQL, MIGRATIONS, MIGRATIONS_TABLE_SQL } from './migrations/index.js';
import { guardStorageMethods } from './faults.js';
import {
  type AccessGrantRow,
  type DomainRow,
  type PrincipalRow,
  type TransitKeyRow,
  definitionColumns,
  domainFromRow,
  grantFromRow,
  principalFromRow,
  transitKeyFromRow,
} from './rows.js';
import {
  SQLITE_FAULTS,
  appendAuditRecords,
  importLegacyAuditLog,
  listAuditChains,
  readAuditRecords,
} from './sqlite-audit.js';
import {
  type AccessGrant,
  type AuditHead,
  type Storage,
  type StoredAuditRecord,
  type StoredDomain,
  type StoredPrincipal,
  type StoredServiceKey,
  type StoredTransitKey,
  secondsUntilToken,
} from './storage.js';

export interface SqliteStorageOptions {
  /** How long a request waits for a lock held by another connection before 503 (default 1 s). */
  lockWaitMs?: number;
}

const OPEN_TIMEOUT_MS = 5000;
const DEFAULT_LOCK_WAIT_MS = 1000;
const PROBE = 'storage_probe';

export class SqliteStorage implements Storage {
  readonly #db: Database.Database;
  /** Prepared once per SQL text: preparing costs more than running on the hot path. */
  readonly #statements = new Map<string, Database.Statement>();
  /**
   * Runs its argument in one write transaction (BEGIN IMMEDIATE). Made once: better-sqlite3
   * builds a new wrapper per `db.transaction()` call, a third of a small transaction's cost.
   */
  readonly #write: <T>(work: () => T) => T;

  constructor(file: string, options: SqliteStorageOptions = {}) {
    mkdirSync(dirname(file), { recursive: true });
    const isNew = !existsSync(file);
    // Opening may wait (synchronously) for a lock: only at start, before any request.
    this.#db = new Database(file, { timeout: OPEN_TIMEOUT_MS });
    if (isNew) chmodSync(file, 0o600);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    // With WAL, NORMAL survives a crash of the process (not of the machine) without a sync per write.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 0');
    const inTransaction = this.#db.transaction((work: () => unknown) => work());
    this.#write = <T>(work: () => T): T => inTransaction.immediate(work) as T;
    guardStorageMethods(this, SQLITE_FAULTS, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
  async migrate(): Promise<void> {
    this.#db.exec(MIGRATIONS_TABLE_SQL);
    const applied = new Set(
      (this.#statement('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.#db.transaction(() => {
        for (const sql of m.statements) this.#db.exec(sql);
        if (m.name === 'audit-chains') importLegacyAuditLog(this.#db);
        this.#statement('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          Date.now(),
        );
      })();
    }
  }

  async ping(): Promise<void> {
    this.#write(() => this.#setMeta(PROBE, String(Date.now())));
  }

  async getMeta(name: string): Promise<string | undefined> {
    const row = this.#statement('SELECT value FROM service_meta WHERE name = ?').get(name) as
      { value: string } | undefined;
    return row?.value;
  }

  async setMeta(name: string, value: string): Promise<void> {
    this.#setMeta(name, value);
  }

  #setMeta(name: string, value: string): void {
    this.#statement(
      'INSERT INTO service_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ).run(name, value);
  }

  async getServiceKey(): Promise<StoredServiceKey | undefined> {
    const row = this.#statement(
      'SELECT kid, wrapped_private_key, created_at FROM service_keys ORDER BY created_at DESC LIMIT 1',
    ).get() as { kid: string; wrapped_private_key: string; created_at: number } | undefined;
    return (
      row && Object.freeze({ kid: row.kid, wrappedPrivateKey: row.wrapped_private_key, createdAt: row.created_at })
    );
  }

  async insertServiceKey(key: StoredServiceKey): Promise<void> {
    this.#statement('INSERT INTO service_keys (kid, wrapped_private_key, created_at) VALUES (?, ?, ?)').run(
      key.kid,
      key.wrappedPrivateKey,
      key.createdAt,
    );
  }

  async listDomains(): Promise<StoredDomain[]> {
    return (this.#statement('SELECT * FROM domains ORDER BY domain_key').all() as DomainRow[]).map(domainFromRow);
  }

  async getDomain(domainKey: string): Promise<StoredDomain | undefined> {
    const row = this.#statement('SELECT * FROM domains WHERE domain_key = ?').get(domainKey) as DomainRow | undefined;
    return row && domainFromRow(row);
  }

  async insertDomain(domain: StoredDomain, firstTransitKey: StoredTransitKey): Promise<void> {
    this.#write(() => {
      this.#statement(
        `INSERT INTO domains (domain_key, description, buffer_size, time_to_live_in_transit, owners, access_rule,
             transit_policy, wrapped_scalar, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(domain.definition.key, ...definitionColumns(domain.definition), domain.wrappedScalar, domain.createdAt);
      this.#insertTransitKey(firstTransitKey);
      this.#statement(BUMP_DEFINITIONS_SQL).run();
    });
  }

  async updateDomainDefinition(definition: DomainConfig): Promise<void> {
    this.#write(() => {
      this.#statement(
        `UPDATE domains SET description = ?, buffer_size = ?, time_to_live_in_transit = ?, owners = ?,
             access_rule = ?, transit_policy = ? WHERE domain_key = ?`,
      ).run(...definitionColumns(definition), definition.key);
      this.#statement(BUMP_DEFINITIONS_SQL).run();
    });
  }

  async replaceWrappedKeys(change: Parameters<Storage['replaceWrappedKeys']>[0]): Promise<void> {
    replaceWrappedKeysSqlite(this.#db, change);
  }

  async listTransitKeys(domainKey: string): Promise<StoredTransitKey[]> {
    return (
      this.#statement('SELECT * FROM transit_keys WHERE domain_key = ? ORDER BY created_at, kid').all(
        domainKey,
      ) as TransitKeyRow[]
    ).map(transitKeyFromRow);
  }

  #insertTransitKey(key: StoredTransitKey): void {
    this.#statement(
      'INSERT INTO transit_keys (domain_key, kid, wrapped_key, created_at, deactivated_at) VALUES (?, ?, ?, ?, ?)',
    ).run(key.domainKey, key.kid, key.wrappedKey, key.createdAt, key.deactivatedAt ?? null);
  }

  async rotateTransitKey(next: StoredTransitKey, now: number): Promise<void> {
    this.#write(() => {
      this.#statement('UPDATE transit_keys SET deactivated_at = ? WHERE domain_key = ? AND deactivated_at IS NULL').run(
        now,
        next.domainKey,
      );
      this.#insertTransitKey(next);
      this.#statement(BUMP_DEFINITIONS_SQL).run();
    });
  }

  async deleteTransitKeys(domainKey: string, kids: readonly string[]): Promise<void> {
    const del = this.#statement('DELETE FROM transit_keys WHERE domain_key = ? AND kid = ?');
    this.#write(() => {
      for (const kid of kids) del.run(domainKey, kid);
    });
  }

  async getPrincipal(id: string): Promise<StoredPrincipal | undefined> {
    const row = this.#statement('SELECT * FROM principals WHERE principal_id = ?').get(id) as PrincipalRow | undefined;
    return row && principalFromRow(row);
  }

  async listPrincipals(): Promise<StoredPrincipal[]> {
    return (this.#statement('SELECT * FROM principals ORDER BY principal_id').all() as PrincipalRow[]).map(
      principalFromRow,
    );
  }

  async savePrincipal(
    principal: { id: string; description: string; groups: readonly string[] },
    now: number,
  ): Promise<void> {
    this.#statement(
      `INSERT INTO principals (principal_id, description, groups_json, created_at, revoked_at) VALUES (?, ?, ?, ?, NULL)
           ON CONFLICT (principal_id) DO UPDATE SET description = excluded.description, groups_json = excluded.groups_json`,
    ).run(principal.id, principal.description, JSON.stringify(principal.groups), now);
  }

  async revokePrincipal(id: string, now: number): Promise<boolean> {
    return this.#write(() => {
      const row = this.#statement('SELECT revoked_at FROM principals WHERE principal_id = ?').get(id) as
        { revoked_at: number | null } | undefined;
      if (row === undefined) {
        this.#statement(
          "INSERT INTO principals (principal_id, description, groups_json, created_at, revoked_at) VALUES (?, '', '[]', ?, ?)",
        ).run(id, now, now);
        return true;
      }
      if (row.revoked_at !== null) return false;
      this.#statement('UPDATE principals SET revoked_at = ? WHERE principal_id = ?').run(now, id);
      return true;
    });
  }

  async reinstatePrincipal(id: string): Promise<boolean> {
    const result = this.#statement(
      'UPDATE principals SET revoked_at = NULL WHERE principal_id = ? AND revoked_at IS NOT NULL',
    ).run(id);
    return result.changes > 0;
  }

  async isCertificateRevoked(fingerprint: string): Promise<boolean> {
    return this.#statement('SELECT 1 FROM revoked_certificates WHERE fingerprint = ?').get(fingerprint) !== undefined;
  }

  async revokeCertificate(fingerprint: string, now: number): Promise<boolean> {
    const result = this.#statement(
      'INSERT INTO revoked_certificates (fingerprint, revoked_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
    ).run(fingerprint, now);
    return result.changes > 0;
  }

  async listAccessGrants(domainKey?: string): Promise<AccessGrant[]> {
    const rows = (
      domainKey === undefined
        ? this.#statement('SELECT * FROM access_grants ORDER BY domain_key, operation, subject').all()
        : this.#statement('SELECT * FROM access_grants WHERE domain_key = ? ORDER BY operation, subject').all(domainKey)
    ) as AccessGrantRow[];
    return rows.map(grantFromRow);
  }

  async addAccessGrant(grant: AccessGrant): Promise<boolean> {
    const result = this.#statement(
      'INSERT INTO access_grants (domain_key, operation, subject, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ).run(grant.domainKey, grant.operation, grant.subject, grant.createdAt);
    return result.changes > 0;
  }

  async removeAccessGrant(domainKey: string, operation: AccessRuleOperation, subject: string): Promise<boolean> {
    const result = this.#statement(
      'DELETE FROM access_grants WHERE domain_key = ? AND operation = ? AND subject = ?',
    ).run(domainKey, operation, subject);
    return result.changes > 0;
  }

  async addUsage(
    principalId: string,
    operation: string,
    day: string,
    items: number,
    limit: number | undefined,
  ): Promise<{ counted: boolean; total: number }> {
    return this.#write(() => {
      const row = this.#statement(
        'SELECT items FROM usage_counters WHERE principal_id = ? AND operation = ? AND day = ?',
      ).get(principalId, operation, day) as { items: number } | undefined;
      const current = row?.items ?? 0;
      if (limit !== undefined && current + items > limit) return { counted: false, total: current };
      this.#statement(
        `INSERT INTO usage_counters (principal_id, operation, day, items) VALUES (?, ?, ?, ?)
             ON CONFLICT (principal_id, operation, day) DO UPDATE SET items = items + excluded.items`,
      ).run(principalId, operation, day, items);
      return { counted: true, total: current + items };
    });
  }

  async appendAudit(chain: string, seal: (head: AuditHead | undefined) => readonly StoredAuditRecord[]): Promise<void> {
    this.#write(() => appendAuditRecords((sql) => this.#statement(sql), chain, seal));
  }

  async readAudit(chain: string, afterSeq: number, limit: number): Promise<StoredAuditRecord[]> {
    return readAuditRecords((sql) => this.#statement(sql), chain, afterSeq, limit);
  }

  async listAuditChains(): Promise<{ chain: string; head: AuditHead | undefined }[]> {
    return listAuditChains((sql) => this.#statement(sql));
  }

  /** One process per file at set-up: `serve --workers` sets up in the primary before forking. */
  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async definitionsVersion(): Promise<number> {
    return (this.#statement(DEFINITIONS_VERSION_SQL).get() as { version: number }).version;
  }

  /** SQLite cannot notify other processes: they poll {@link definitionsVersion}. */
  async watchDefinitions(): Promise<() => Promise<void>> {
    return async () => undefined;
  }

  async takeRateToken(
    principalId: string,
    limit: { perSecond: number; burst: number },
    now: number,
  ): Promise<{ taken: boolean; retryAfterSeconds: number }> {
    const refilled = 'MIN(?, tokens + MAX(0, ? - updated_at) / 1000.0 * ?)';
    const taken = this.#statement(
      `INSERT INTO rate_buckets (principal_id, tokens, updated_at) VALUES (?, ? - 1, ?)
           ON CONFLICT (principal_id) DO UPDATE SET tokens = ${refilled} - 1, updated_at = MAX(updated_at, ?)
           WHERE ${refilled} >= 1`,
    ).run(
      principalId,
      limit.burst,
      now,
      ...[limit.burst, now, limit.perSecond],
      now,
      limit.burst,
      now,
      limit.perSecond,
    );
    if (taken.changes > 0) return { taken: true, retryAfterSeconds: 0 };
    const row = this.#statement(`SELECT ${refilled} AS tokens FROM rate_buckets WHERE principal_id = ?`).get(
      limit.burst,
      now,
      limit.perSecond,
      principalId,
    ) as { tokens: number };
    return { taken: false, retryAfterSeconds: secondsUntilToken(row.tokens, limit.perSecond) };
  }

  readonly #transitUsesPruning = new TransitUsesPruning();
  async useTransitOnce(domainKey: string, jti: string, keepUntil: number, now: number): Promise<boolean> {
    const use = { domainKey, jti, keepUntil, now };
    return useTransitOnceSqlite(this.#write, (sql) => this.#statement(sql), this.#transitUsesPruning, use);
  }

  readonly trafficSamples = trafficSamplesSqlite(() => this.#db);

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
