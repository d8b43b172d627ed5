/**
 * Rows as both SQL storages read them (the same schema, see migrations/), and their mapping to
 * the storage interface's frozen objects. BIGINT columns arrive as numbers (PostgreSQL's driver
 * is told so in postgres.ts).
 */
import { type AccessRuleOperation, type DomainConfig, validateDomainConfig } from '../config.js';
import type { AccessGrant, StoredAuditRecord, StoredDomain, StoredPrincipal, StoredTransitKey } from './storage.js';

export interface DomainRow {
  domain_key: string;
  description: string;
  buffer_size: number;
  time_to_live_in_transit: string;
  owners: string;
  access_rule: string;
  transit_policy: string;
  wrapped_scalar: string;
  created_at: number;
}

export interface TransitKeyRow {
  domain_key: string;
  kid: string;
  wrapped_key: string;
  created_at: number;
  deactivated_at: number | null;
}

export function domainFromRow(row: DomainRow): StoredDomain {
  const definition = validateDomainConfig(
    {
      key: row.domain_key,
      description: row.description,
      bufferSize: row.buffer_size,
      timeToLiveInTransit: row.time_to_live_in_transit,
      owners: JSON.parse(row.owners) as unknown,
      accessRule: JSON.parse(row.access_rule) as unknown,
      transitPolicy: JSON.parse(row.transit_policy) as unknown,
    },
    `stored domain ${row.domain_key}`,
    '/',
  );
  return Object.freeze({ definition, wrappedScalar: row.wrapped_scalar, createdAt: row.created_at });
}

export function transitKeyFromRow(row: TransitKeyRow): StoredTransitKey {
  return Object.freeze({
    domainKey: row.domain_key,
    kid: row.kid,
    wrappedKey: row.wrapped_key,
    createdAt: row.created_at,
    deactivatedAt: row.deactivated_at ?? undefined,
  });
}

export function definitionColumns(d: DomainConfig): unknown[] {
  return [
    d.description,
    d.bufferSize,
    d.timeToLiveInTransit,
    JSON.stringify(d.owners),
    JSON.stringify(d.accessRule),
    JSON.stringify(d.transitPolicy),
  ];
}

export interface PrincipalRow {
  principal_id: string;
  description: string;
  groups_json: string;
  created_at: number;
  revoked_at: number | null;
}

export function principalFromRow(row: PrincipalRow): StoredPrincipal {
  return Object.freeze({
    id: row.principal_id,
    description: row.description,
    groups: Object.freeze(JSON.parse(row.groups_json) as string[]),
    createdAt: row.created_at,
    revokedAt: row.revoked_at ?? undefined,
  });
}
export interface AccessGrantRow {
  domain_key: string;
  operation: AccessRuleOperation;
  subject: string;
  created_at: number;
}

export function grantFromRow(r: AccessGrantRow): AccessGrant {
  return Object.freeze({
    domainKey: r.domain_key,
    operation: r.operation,
    subject: r.subject,
    createdAt: r.created_at,
  });
}

/** An audit record's row, as both stores read it. */
export interface AuditRecordRow {
  chain: string;
  seq: number;
  time: number;
  record: string;
  prev_hash: string;
  hash: string;
}

export function auditRecordFromRow(row: AuditRecordRow): StoredAuditRecord {
  return Object.freeze({
    chain: row.chain,
    seq: row.seq,
    time: row.time,
    record: row.record,
    prevHash: row.prev_hash,
    hash: row.hash,
  });
}
