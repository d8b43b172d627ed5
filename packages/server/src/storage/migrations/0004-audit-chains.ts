/**
 * Schema version 4: the audit log in chains (one per instance, or one shared), each record's
 * canonical text stored as hashed, and each chain's head in a table of its own. Records of the
 * version-2 log are carried over into chain "main" by the SQLite storage (sqlite-audit.ts) in the
 * same transaction; a new database has none. Portable SQL.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 4,
  name: 'audit-chains',
  statements: [
    `CREATE TABLE audit_records (
       chain VARCHAR(100) NOT NULL,
       seq BIGINT NOT NULL,
       time BIGINT NOT NULL,
       record TEXT NOT NULL,
       prev_hash VARCHAR(64) NOT NULL,
       hash VARCHAR(64) NOT NULL,
       PRIMARY KEY (chain, seq)
     )`,
    `CREATE TABLE audit_heads (
       chain VARCHAR(100) PRIMARY KEY,
       seq BIGINT NOT NULL,
       hash VARCHAR(64) NOT NULL
     )`,
  ],
};
