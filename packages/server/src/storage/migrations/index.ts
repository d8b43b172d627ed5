/**
 * The schema's versioned migrations, in order. Each is applied once, in a transaction, and
 * recorded in `schema_migrations`; a new schema change is a new numbered module added here.
 */
import { migration as initial } from './0001-initial.js';
import { migration as security } from './0002-security.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Portable SQL (SQLite and PostgreSQL), one statement per entry. */
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [initial, security];

export const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  applied_at BIGINT NOT NULL
)`;
