/**
 * Version 2: security. Principals (extra groups, revocation), revoked client certificates,
 * access grants made through the admin API, daily usage counters for quotas, the hash-chained
 * audit log, and each domain's transit policy. Portable SQL.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 2,
  name: 'security',
  statements: [
    `ALTER TABLE domains ADD COLUMN transit_policy TEXT NOT NULL DEFAULT '{}'`,
    `CREATE TABLE principals (
       principal_id VARCHAR(300) PRIMARY KEY,
       description TEXT NOT NULL,
       groups_json TEXT NOT NULL,
       created_at BIGINT NOT NULL,
       revoked_at BIGINT
     )`,
    `CREATE TABLE revoked_certificates (
       fingerprint VARCHAR(64) PRIMARY KEY,
       revoked_at BIGINT NOT NULL
     )`,
    `CREATE TABLE access_grants (
       domain_key VARCHAR(64) NOT NULL,
       operation VARCHAR(40) NOT NULL,
       subject VARCHAR(300) NOT NULL,
       created_at BIGINT NOT NULL,
       PRIMARY KEY (domain_key, operation, subject)
     )`,
    `CREATE TABLE usage_counters (
       principal_id VARCHAR(300) NOT NULL,
       operation VARCHAR(40) NOT NULL,
       day VARCHAR(10) NOT NULL,
       items BIGINT NOT NULL,
       PRIMARY KEY (principal_id, operation, day)
     )`,
    `CREATE TABLE audit_log (
       seq BIGINT PRIMARY KEY,
       time BIGINT NOT NULL,
       principal VARCHAR(300),
       operation VARCHAR(60) NOT NULL,
       domain_key VARCHAR(64),
       to_domain_key VARCHAR(64),
       items INTEGER NOT NULL,
       status INTEGER NOT NULL,
       outcome VARCHAR(40) NOT NULL,
       request_id VARCHAR(100) NOT NULL,
       caller_request_id VARCHAR(200),
       peer VARCHAR(100),
       prev_hash VARCHAR(64) NOT NULL,
       hash VARCHAR(64) NOT NULL
     )`,
  ],
};
