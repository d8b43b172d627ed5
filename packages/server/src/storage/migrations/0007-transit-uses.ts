/**
 * Version 7: single use of pseudonyms in transit, across instances. A domain whose transit policy
 * is `singleUse` writes a `jti` in every transitInfo; each (domain, jti) the service accepted is
 * kept until the transit could no longer be accepted anyway (its exp plus the clock skew), so that
 * a second identify or convert of it is refused on every instance. Expired rows are deleted as new
 * ones are written. No value, point or transitInfo is stored. Portable SQL.
 */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 7,
  name: 'transit-uses',
  statements: [
    `CREATE TABLE transit_uses (
       domain_key VARCHAR(64) NOT NULL,
       jti VARCHAR(256) NOT NULL,
       keep_until BIGINT NOT NULL,
       PRIMARY KEY (domain_key, jti)
     )`,
    `CREATE INDEX transit_uses_keep_until ON transit_uses (keep_until)`,
  ],
};
