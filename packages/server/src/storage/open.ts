/** Opening the configured storage: SQLite (the embedded default) or PostgreSQL. */
import type { StorageConfig } from '../config.js';
import { PostgresStorage } from './postgres.js';
import { SqliteStorage } from './sqlite.js';
import type { Storage } from './storage.js';

export function openStorage(config: StorageConfig): Storage {
  return config.postgres === undefined ? new SqliteStorage(config.file) : new PostgresStorage(config.postgres);
}
