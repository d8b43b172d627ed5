/** Schema version 5: the version-2 audit table, emptied into audit_records by version 4. Portable SQL. */
import type { Migration } from './index.js';

export const migration: Migration = {
  version: 5,
  name: 'drop-unchained-audit',
  statements: ['DROP TABLE audit_log'],
};
