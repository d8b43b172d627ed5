/** The admin API's answers, as the console reads them (see packages/server/src/routes/admin*.ts). */

export const OPERATIONS = ['pseudonymize', 'identify', 'convertFrom', 'convertTo', 'readSecretKeys'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type AccessRule = Partial<Record<Operation, string[]>>;

export interface Session {
  principal: string;
  groups: string[];
  method: string;
}

export interface DomainSummary {
  domain: string;
  description: string;
  audience: string;
  bufferSize: number;
  timeToLiveInTransit: string;
  jku: string[];
  accessRule: AccessRule;
  transitKeys: { kid: string; active: boolean; deactivatedAt?: number }[];
}

export interface OwnerKeys {
  jku: string;
  source: 'fetched' | 'file' | 'inline';
  kids: string[];
  changed: boolean;
  error?: string;
}

export interface OwnersStatus {
  domain: string;
  refreshedAt?: number;
  intervalMs: number;
  owners: OwnerKeys[];
}

export interface Principal {
  id: string;
  description: string;
  groups: string[];
  createdAt: number;
  revokedAt?: number;
}

export interface Grant {
  domain: string;
  operation: Operation;
  subject: string;
}

export interface AccessGrants {
  grants: Grant[];
  effective: Record<string, AccessRule>;
}

export interface AuditRecord {
  seq: number;
  time: number;
  principal: string | null;
  operation: string;
  domainKey: string | null;
  toDomainKey: string | null;
  items: number;
  status: number;
  outcome: string;
  requestId: string;
  hash: string;
}

export interface AuditPage {
  records: AuditRecord[];
  next?: number;
  head?: { seq: number; hash: string };
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  head?: { seq: number; hash: string };
  findings: string[];
}

export interface OperationTraffic {
  items: number;
  itemProblems: number;
  requests: number;
  errors: number;
  refusals: number;
  alarms: number;
  latency?: { p50: number; p95: number; p99: number };
}

export interface TrafficSample {
  time: number;
  seconds: number;
  /** Processes (workers, instances) whose counts are summed. */
  processes: number;
  operations: Record<string, OperationTraffic>;
}

export interface Health {
  storage: { kind: string; ok: boolean; pingMs?: number; error?: string };
  keystore: { domains: number; activeTransitKeys: number; multiplier: string; ok: boolean };
  audit: { records: number };
  traffic: { ok: boolean; lastFailure?: number; pending: number };
}
