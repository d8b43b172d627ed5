/** Version 1: domains, their transit keys, the service's own key, and settings. Portable SQL. */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 1,
  name: 'initial',
  statements: [
    `CREATE TABLE service_meta (
       name VARCHAR(100) PRIMARY KEY,
       value TEXT NOT NULL
     )`,
    `CREATE TABLE service_keys (
       kid VARCHAR(100) PRIMARY KEY,
       wrapped_private_key TEXT NOT NULL,
       created_at BIGINT NOT NULL
     )`,
    `CREATE TABLE domains (
       domain_key VARCHAR(64) PRIMARY KEY,
       description TEXT NOT NULL,
       buffer_size INTEGER NOT NULL,
       time_to_live_in_transit VARCHAR(40) NOT NULL,
       owners TEXT NOT NULL,
       access_rule TEXT NOT NULL,
       wrapped_scalar TEXT NOT NULL,
       created_at BIGINT NOT NULL
     )`,
    `CREATE TABLE transit_keys (
       domain_key VARCHAR(64) NOT NULL REFERENCES domains (domain_key),
       kid VARCHAR(100) NOT NULL,
       wrapped_key TEXT NOT NULL,
       created_at BIGINT NOT NULL,
       deactivated_at BIGINT,
       PRIMARY KEY (domain_key, kid)
     )`,
  ],
};
