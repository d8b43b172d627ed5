/**
 * PostgreSQL storage (node-postgres, a connection pool): one database shared by several instances of
 * the service. The same versioned migrations as SQLite, applied under an advisory lock so that instances
 * starting together migrate once. Every statement runs under a statement timeout; TLS is configurable.
 *
 * Concurrency between instances: an audit chain is extended under a transaction-scoped advisory
 * lock of that chain (postgres-audit.ts); usage counters are updated with one conditional UPDATE; a
 * transit key rotation locks the domain's row, so concurrent rotations give one new key each and
 * exactly one active key.
 */
import pg from 'pg';
import type { AccessRuleOperation, DomainConfig, PostgresConfig } from '../config.js';
import { BUMP_DEFINITIONS_SQL, DEFINITIONS_VERSION_SQL, MIGRATIONS, MIGRATIONS_TABLE_SQL } from './migrations/index.js';
import { clientConfig, inTransaction, listenForever, poolConfig } from './postgres-connection.js';
import { trafficSamplesPostgres } from './traffic-samples.js';
import { TransitUsesPruning, useTransitOncePostgres } from './transit-uses.js';
import { type WrappedKeysChange, replaceWrappedKeysPostgres } from './wrapped-keys.js';
import { guardStorageMethods } from './faults.js';
import { POSTGRES_FAULTS, appendAuditRecords, listAuditChains, readAuditRecords } from './postgres-audit.js';
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

/** Advisory lock keys (any constants, unique to this schema). */
const MIGRATION_LOCK = 7_305_001;
const SETUP_LOCK = 7_305_003;
/** NOTIFY channel: the definitions changed (sent at commit, with the version bump). */
const DEFINITIONS_CHANNEL = 'blindpseudo_definitions';

async function bumpDefinitions(c: pg.PoolClient): Promise<void> {
  await c.query(BUMP_DEFINITIONS_SQL);
  await c.query(`NOTIFY ${DEFINITIONS_CHANNEL}`);
}
/** How long a request waits on a passing error (a serialization failure, a lock) before 503. */
const RETRY_FOR_MS = 1000;

type Queryable = pg.Pool | pg.PoolClient;

export class PostgresStorage implements Storage {
  readonly #pool: pg.Pool;
  readonly #config: PostgresConfig;
  #closed = false;

  constructor(config: PostgresConfig) {
    this.#config = config;
    this.#pool = new pg.Pool(poolConfig(config));
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined);
    // Every method: PostgreSQL down, unreachable, out of disk or too slow is a 503, never a 500.
    guardStorageMethods(this, POSTGRES_FAULTS, RETRY_FOR_MS);
  }

  async #rows<T>(sql: string, params: readonly unknown[] = [], db: Queryable = this.#pool): Promise<T[]> {
    return (await db.query(sql, params as unknown[])).rows as T[];
  }

  async #changes(sql: string, params: readonly unknown[], db: Queryable = this.#pool): Promise<number> {
    return (await db.query(sql, params as unknown[])).rowCount ?? 0;
  }

  /** Runs `work` in one transaction on one connection (rolled back when it throws). */
  #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, work);
  }

  async migrate(): Promise<void> {
    await this.#transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(MIGRATIONS_TABLE_SQL);
      const applied = new Set(
        (await this.#rows<{ version: number }>('SELECT version FROM schema_migrations', [], c)).map((r) => r.version),
      );
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        for (const sql of m.statements) await c.query(sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Date.now(),
        ]);
      }
    });
  }

  async ping(): Promise<void> {
    // A write, as requests make them: a read alone passes on a database that takes no writes.
    await this.setMeta('storage_probe', String(Date.now()));
  }

  async getMeta(name: string): Promise<string | undefined> {
    return (await this.#rows<{ value: string }>('SELECT value FROM service_meta WHERE name = $1', [name]))[0]?.value;
  }

  async setMeta(name: string, value: string, db: Queryable = this.#pool): Promise<void> {
    await db.query(
      'INSERT INTO service_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      [name, value],
    );
  }

  async getServiceKey(): Promise<StoredServiceKey | undefined> {
    const row = (
      await this.#rows<{ kid: string; wrapped_private_key: string; created_at: number }>(
        'SELECT kid, wrapped_private_key, created_at FROM service_keys ORDER BY created_at DESC LIMIT 1',
      )
    )[0];
    return (
      row && Object.freeze({ kid: row.kid, wrappedPrivateKey: row.wrapped_private_key, createdAt: row.created_at })
    );
  }

  async insertServiceKey(key: StoredServiceKey): Promise<void> {
    await this.#pool.query('INSERT INTO service_keys (kid, wrapped_private_key, created_at) VALUES ($1, $2, $3)', [
      key.kid,
      key.wrappedPrivateKey,
      key.createdAt,
    ]);
  }

  async listDomains(): Promise<StoredDomain[]> {
    return (await this.#rows<DomainRow>('SELECT * FROM domains ORDER BY domain_key')).map(domainFromRow);
  }

  async getDomain(domainKey: string): Promise<StoredDomain | undefined> {
    const row = (await this.#rows<DomainRow>('SELECT * FROM domains WHERE domain_key = $1', [domainKey]))[0];
    return row && domainFromRow(row);
  }

  async insertDomain(domain: StoredDomain, firstTransitKey: StoredTransitKey): Promise<void> {
    await this.#transaction(async (c) => {
      await c.query(
        `INSERT INTO domains (domain_key, description, buffer_size, time_to_live_in_transit, owners, access_rule,
             transit_policy, wrapped_scalar, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [domain.definition.key, ...definitionColumns(domain.definition), domain.wrappedScalar, domain.createdAt],
      );
      await this.#insertTransitKey(firstTransitKey, c);
      await bumpDefinitions(c);
    });
  }

  async updateDomainDefinition(definition: DomainConfig): Promise<void> {
    await this.#transaction(async (c) => {
      await c.query(
        `UPDATE domains SET description = $1, buffer_size = $2, time_to_live_in_transit = $3, owners = $4,
             access_rule = $5, transit_policy = $6 WHERE domain_key = $7`,
        [...definitionColumns(definition), definition.key],
      );
      await bumpDefinitions(c);
    });
  }

  readonly replaceWrappedKeys = (c: WrappedKeysChange) => replaceWrappedKeysPostgres(this.#pool, c);

  async listTransitKeys(domainKey: string): Promise<StoredTransitKey[]> {
    return (
      await this.#rows<TransitKeyRow>('SELECT * FROM transit_keys WHERE domain_key = $1 ORDER BY created_at, kid', [
        domainKey,
      ])
    ).map(transitKeyFromRow);
  }

  async #insertTransitKey(key: StoredTransitKey, db: Queryable): Promise<void> {
    await db.query(
      'INSERT INTO transit_keys (domain_key, kid, wrapped_key, created_at, deactivated_at) VALUES ($1, $2, $3, $4, $5)',
      [key.domainKey, key.kid, key.wrappedKey, key.createdAt, key.deactivatedAt ?? null],
    );
  }

  async rotateTransitKey(next: StoredTransitKey, now: number): Promise<void> {
    await this.#transaction(async (c) => {
      await c.query('SELECT 1 FROM domains WHERE domain_key = $1 FOR UPDATE', [next.domainKey]);
      await c.query('UPDATE transit_keys SET deactivated_at = $1 WHERE domain_key = $2 AND deactivated_at IS NULL', [
        now,
        next.domainKey,
      ]);
      await this.#insertTransitKey(next, c);
      await bumpDefinitions(c);
    });
  }

  async deleteTransitKeys(domainKey: string, kids: readonly string[]): Promise<void> {
    await this.#pool.query('DELETE FROM transit_keys WHERE domain_key = $1 AND kid = ANY($2::varchar[])', [
      domainKey,
      [...kids],
    ]);
  }

  async getPrincipal(id: string): Promise<StoredPrincipal | undefined> {
    const row = (await this.#rows<PrincipalRow>('SELECT * FROM principals WHERE principal_id = $1', [id]))[0];
    return row && principalFromRow(row);
  }

  async listPrincipals(): Promise<StoredPrincipal[]> {
    return (await this.#rows<PrincipalRow>('SELECT * FROM principals ORDER BY principal_id')).map(principalFromRow);
  }

  async savePrincipal(
    principal: { id: string; description: string; groups: readonly string[] },
    now: number,
  ): Promise<void> {
    await this.#pool.query(
      `INSERT INTO principals (principal_id, description, groups_json, created_at, revoked_at)
           VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (principal_id)
           DO UPDATE SET description = excluded.description, groups_json = excluded.groups_json`,
      [principal.id, principal.description, JSON.stringify(principal.groups), now],
    );
  }

  async revokePrincipal(id: string, now: number): Promise<boolean> {
    const changed = await this.#changes(
      `INSERT INTO principals (principal_id, description, groups_json, created_at, revoked_at)
           VALUES ($1, '', '[]', $2, $2) ON CONFLICT (principal_id)
           DO UPDATE SET revoked_at = excluded.revoked_at WHERE principals.revoked_at IS NULL`,
      [id, now],
    );
    return changed > 0;
  }

  async reinstatePrincipal(id: string): Promise<boolean> {
    const changed = await this.#changes(
      'UPDATE principals SET revoked_at = NULL WHERE principal_id = $1 AND revoked_at IS NOT NULL',
      [id],
    );
    return changed > 0;
  }

  async isCertificateRevoked(fingerprint: string): Promise<boolean> {
    return (await this.#rows('SELECT 1 FROM revoked_certificates WHERE fingerprint = $1', [fingerprint])).length > 0;
  }

  async revokeCertificate(fingerprint: string, now: number): Promise<boolean> {
    const changed = await this.#changes(
      'INSERT INTO revoked_certificates (fingerprint, revoked_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [fingerprint, now],
    );
    return changed > 0;
  }

  async listAccessGrants(domainKey?: string): Promise<AccessGrant[]> {
    const rows = await this.#rows<AccessGrantRow>(
      domainKey === undefined
        ? 'SELECT * FROM access_grants ORDER BY domain_key, operation, subject'
        : 'SELECT * FROM access_grants WHERE domain_key = $1 ORDER BY operation, subject',
      domainKey === undefined ? [] : [domainKey],
    );
    return rows.map(grantFromRow);
  }

  async addAccessGrant(grant: AccessGrant): Promise<boolean> {
    const changed = await this.#changes(
      `INSERT INTO access_grants (domain_key, operation, subject, created_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
      [grant.domainKey, grant.operation, grant.subject, grant.createdAt],
    );
    return changed > 0;
  }

  async removeAccessGrant(domainKey: string, operation: AccessRuleOperation, subject: string): Promise<boolean> {
    const changed = await this.#changes(
      'DELETE FROM access_grants WHERE domain_key = $1 AND operation = $2 AND subject = $3',
      [domainKey, operation, subject],
    );
    return changed > 0;
  }

  async addUsage(
    principalId: string,
    operation: string,
    day: string,
    items: number,
    limit: number | undefined,
  ): Promise<{ counted: boolean; total: number }> {
    const key = [principalId, operation, day];
    await this.#pool.query(
      `INSERT INTO usage_counters (principal_id, operation, day, items) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`,
      key,
    );
    // One conditional UPDATE: the row lock makes it atomic across instances.
    const counted = await this.#rows<{ items: number }>(
      `UPDATE usage_counters SET items = items + $4
           WHERE principal_id = $1 AND operation = $2 AND day = $3 AND ($5::bigint IS NULL OR items + $4 <= $5)
           RETURNING items`,
      [...key, items, limit ?? null],
    );
    if (counted[0] !== undefined) return { counted: true, total: counted[0].items };
    const current = await this.#rows<{ items: number }>(
      'SELECT items FROM usage_counters WHERE principal_id = $1 AND operation = $2 AND day = $3',
      key,
    );
    return { counted: false, total: current[0]?.items ?? 0 };
  }

  async appendAudit(chain: string, seal: (head: AuditHead | undefined) => readonly StoredAuditRecord[]): Promise<void> {
    await this.#transaction((c) => appendAuditRecords(c, chain, seal));
  }

  async readAudit(chain: string, afterSeq: number, limit: number): Promise<StoredAuditRecord[]> {
    return readAuditRecords(this.#pool, chain, afterSeq, limit);
  }

  async listAuditChains(): Promise<{ chain: string; head: AuditHead | undefined }[]> {
    return listAuditChains(this.#pool);
  }

  /** Holds a session advisory lock on a connection of its own (the work needs the pool's). */
  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    const client = new pg.Client({ ...clientConfig(this.#config), statement_timeout: 0, query_timeout: undefined });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK]);
      return await work();
    } finally {
      // Ending the session releases the lock.
      await client.end().catch(() => undefined);
    }
  }

  async definitionsVersion(): Promise<number> {
    return (await this.#rows<{ version: number }>(DEFINITIONS_VERSION_SQL))[0]!.version;
  }

  async watchDefinitions(listener: () => void): Promise<() => Promise<void>> {
    return listenForever(this.#config, DEFINITIONS_CHANNEL, listener);
  }

  async takeRateToken(
    principalId: string,
    limit: { perSecond: number; burst: number },
    now: number,
  ): Promise<{ taken: boolean; retryAfterSeconds: number }> {
    const refilled = 'LEAST($2::float8, rate_buckets.tokens + GREATEST(0, $3 - rate_buckets.updated_at) / 1000.0 * $4)';
    const taken = await this.#changes(
      `INSERT INTO rate_buckets (principal_id, tokens, updated_at) VALUES ($1, $2::float8 - 1, $3)
           ON CONFLICT (principal_id) DO UPDATE SET tokens = ${refilled} - 1,
             updated_at = GREATEST(rate_buckets.updated_at, $3) WHERE ${refilled} >= 1`,
      [principalId, limit.burst, now, limit.perSecond],
    );
    if (taken > 0) return { taken: true, retryAfterSeconds: 0 };
    const row = await this.#rows<{ tokens: number }>(
      `SELECT ${refilled} AS tokens FROM rate_buckets WHERE principal_id = $1`,
      [principalId, limit.burst, now, limit.perSecond],
    );
    return { taken: false, retryAfterSeconds: secondsUntilToken(row[0]?.tokens ?? 0, limit.perSecond) };
  }

  readonly #transitUsesPruning = new TransitUsesPruning();
  async useTransitOnce(domainKey: string, jti: string, keepUntil: number, now: number): Promise<boolean> {
    return useTransitOncePostgres(this.#pool, this.#transitUsesPruning, { domainKey, jti, keepUntil, now });
  }

  readonly trafficSamples = trafficSamplesPostgres(() => this.#pool);
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
