/**
 * SQLite storage (better-sqlite3): the embedded default, one file created on first start.
 * WAL mode, foreign keys on; the file is created with mode 0600.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type DomainConfig, validateDomainConfig } from '../config.js';
import { MIGRATIONS, MIGRATIONS_TABLE_SQL } from './migrations/index.js';
import type { Storage, StoredDomain, StoredServiceKey, StoredTransitKey } from './storage.js';

interface DomainRow {
  domain_key: string;
  description: string;
  buffer_size: number;
  time_to_live_in_transit: string;
  owners: string;
  access_rule: string;
  wrapped_scalar: string;
  created_at: number;
}

interface TransitKeyRow {
  domain_key: string;
  kid: string;
  wrapped_key: string;
  created_at: number;
  deactivated_at: number | null;
}

function domainFromRow(row: DomainRow): StoredDomain {
  const definition = validateDomainConfig(
    {
      key: row.domain_key,
      description: row.description,
      bufferSize: row.buffer_size,
      timeToLiveInTransit: row.time_to_live_in_transit,
      owners: JSON.parse(row.owners) as unknown,
      accessRule: JSON.parse(row.access_rule) as unknown,
    },
    `stored domain ${row.domain_key}`,
    '/',
  );
  return Object.freeze({ definition, wrappedScalar: row.wrapped_scalar, createdAt: row.created_at });
}

function transitKeyFromRow(row: TransitKeyRow): StoredTransitKey {
  return Object.freeze({
    domainKey: row.domain_key,
    kid: row.kid,
    wrappedKey: row.wrapped_key,
    createdAt: row.created_at,
    deactivatedAt: row.deactivated_at ?? undefined,
  });
}

function definitionColumns(d: DomainConfig): unknown[] {
  return [d.description, d.bufferSize, d.timeToLiveInTransit, JSON.stringify(d.owners), JSON.stringify(d.accessRule)];
}

export class SqliteStorage implements Storage {
  readonly #db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    const isNew = !existsSync(file);
    this.#db = new Database(file);
    if (isNew) chmodSync(file, 0o600);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
  }

  async migrate(): Promise<void> {
    this.#db.exec(MIGRATIONS_TABLE_SQL);
    const applied = new Set(
      (this.#db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.#db.transaction(() => {
        for (const sql of m.statements) this.#db.exec(sql);
        this.#db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, Date.now());
      })();
    }
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async getMeta(name: string): Promise<string | undefined> {
    const row = this.#db.prepare('SELECT value FROM service_meta WHERE name = ?').get(name) as
      { value: string } | undefined;
    return row?.value;
  }

  async setMeta(name: string, value: string): Promise<void> {
    this.#db
      .prepare(
        'INSERT INTO service_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      )
      .run(name, value);
  }

  async getServiceKey(): Promise<StoredServiceKey | undefined> {
    const row = this.#db
      .prepare('SELECT kid, wrapped_private_key, created_at FROM service_keys ORDER BY created_at DESC LIMIT 1')
      .get() as { kid: string; wrapped_private_key: string; created_at: number } | undefined;
    return (
      row && Object.freeze({ kid: row.kid, wrappedPrivateKey: row.wrapped_private_key, createdAt: row.created_at })
    );
  }

  async insertServiceKey(key: StoredServiceKey): Promise<void> {
    this.#db
      .prepare('INSERT INTO service_keys (kid, wrapped_private_key, created_at) VALUES (?, ?, ?)')
      .run(key.kid, key.wrappedPrivateKey, key.createdAt);
  }

  async listDomains(): Promise<StoredDomain[]> {
    return (this.#db.prepare('SELECT * FROM domains ORDER BY domain_key').all() as DomainRow[]).map(domainFromRow);
  }

  async getDomain(domainKey: string): Promise<StoredDomain | undefined> {
    const row = this.#db.prepare('SELECT * FROM domains WHERE domain_key = ?').get(domainKey) as DomainRow | undefined;
    return row && domainFromRow(row);
  }

  async insertDomain(domain: StoredDomain, firstTransitKey: StoredTransitKey): Promise<void> {
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO domains (domain_key, description, buffer_size, time_to_live_in_transit, owners, access_rule,
             wrapped_scalar, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(domain.definition.key, ...definitionColumns(domain.definition), domain.wrappedScalar, domain.createdAt);
      this.#insertTransitKey(firstTransitKey);
    })();
  }

  async updateDomainDefinition(definition: DomainConfig): Promise<void> {
    this.#db
      .prepare(
        `UPDATE domains SET description = ?, buffer_size = ?, time_to_live_in_transit = ?, owners = ?, access_rule = ?
           WHERE domain_key = ?`,
      )
      .run(...definitionColumns(definition), definition.key);
  }

  async listTransitKeys(domainKey: string): Promise<StoredTransitKey[]> {
    return (
      this.#db
        .prepare('SELECT * FROM transit_keys WHERE domain_key = ? ORDER BY created_at, kid')
        .all(domainKey) as TransitKeyRow[]
    ).map(transitKeyFromRow);
  }

  #insertTransitKey(key: StoredTransitKey): void {
    this.#db
      .prepare(
        'INSERT INTO transit_keys (domain_key, kid, wrapped_key, created_at, deactivated_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(key.domainKey, key.kid, key.wrappedKey, key.createdAt, key.deactivatedAt ?? null);
  }

  async rotateTransitKey(next: StoredTransitKey, now: number): Promise<void> {
    this.#db.transaction(() => {
      this.#db
        .prepare('UPDATE transit_keys SET deactivated_at = ? WHERE domain_key = ? AND deactivated_at IS NULL')
        .run(now, next.domainKey);
      this.#insertTransitKey(next);
    })();
  }

  async deleteTransitKeys(domainKey: string, kids: readonly string[]): Promise<void> {
    const del = this.#db.prepare('DELETE FROM transit_keys WHERE domain_key = ? AND kid = ?');
    this.#db.transaction(() => {
      for (const kid of kids) del.run(domainKey, kid);
    })();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
