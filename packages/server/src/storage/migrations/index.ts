/**
 * The schema's versioned migrations, in order. Each is applied once, in a transaction, and
 * recorded in `schema_migrations`; a new schema change is a new numbered module added here.
 */
import { migration as initial } from './0001-initial.js';
import { migration as security } from './0002-security.js';
import { migration as cluster } from './0003-cluster.js';
import { migration as auditChains } from './0004-audit-chains.js';
import { migration as dropUnchainedAudit } from './0005-drop-unchained-audit.js';
import { migration as traffic } from './0006-traffic.js';
import { migration as transitUses } from './0007-transit-uses.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Portable SQL (SQLite and PostgreSQL), one statement per entry. */
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  initial,
  security,
  cluster,
  auditChains,
  dropUnchainedAudit,
  traffic,
  transitUses,
];

/** Counts every change to the domains and their transit keys (in the change's transaction). */
export const BUMP_DEFINITIONS_SQL = "UPDATE change_counters SET version = version + 1 WHERE name = 'definitions'";
export const DEFINITIONS_VERSION_SQL = "SELECT version FROM change_counters WHERE name = 'definitions'";

export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  applied_at BIGINT NOT NULL
)`;
