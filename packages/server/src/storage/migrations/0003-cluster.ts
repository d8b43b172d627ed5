/**
 * Version 3: several instances on one database. A counter of changes to the shared definitions
 * (domains and their transit keys), which every instance polls (and PostgreSQL also notifies),
 * and the per-principal rate limit buckets, shared so that the limit holds across instances.
 * Portable SQL.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 3,
  name: 'cluster',
  statements: [
    `CREATE TABLE change_counters (
       name VARCHAR(40) PRIMARY KEY,
       version BIGINT NOT NULL
     )`,
    `INSERT INTO change_counters (name, version) VALUES ('definitions', 1)`,
    `CREATE TABLE rate_buckets (
       principal_id VARCHAR(300) PRIMARY KEY,
       tokens DOUBLE PRECISION NOT NULL,
       updated_at BIGINT NOT NULL
     )`,
  ],
};
