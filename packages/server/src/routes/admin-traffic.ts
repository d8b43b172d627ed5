/**
 * Traffic and health over the admin API, for the operator console: the service's traffic time
 * series, summed over every process and instance on this storage (`GET /admin/v1/traffic`: per
 * operation items/s, errors/s, refusals/s by rate limits and quotas,
 * enumeration alarms, latency percentiles; traffic.ts) and the health of storage and keys
 * (`GET /admin/v1/health`). Counts only: nothing about callers or values.
 */
import type { DomainRegistry } from '../domains.js';
import { ServiceError } from '../errors.js';
import { responses } from '../schemas.js';
import { type Route, route } from './route-table.js';
import type { Storage } from '../storage/storage.js';
import type { TrafficSampler } from '../traffic-sampler.js';

export interface AdminTrafficRoutesOptions {
  storage: Storage;
  storageKind: string;
  domains: DomainRegistry;
  traffic: TrafficSampler;
  /** The P-521 multiplier in use (native, node, noble). */
  multiplier: string;
  now: () => number;
}

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const operationTraffic = {
  type: 'object',
  properties: {
    items: num,
    itemProblems: num,
    requests: num,
    errors: num,
    refusals: num,
    alarms: int,
    latency: { type: 'object', properties: { p50: num, p95: num, p99: num } },
  },
} as const;

/** Storage answers (and how fast), every domain has an active transit key, the audit log's length. */
async function health(options: AdminTrafficRoutesOptions): Promise<object> {
  const { storage, domains, now } = options;
  const started = now();
  let storageHealth: object;
  let records = 0;
  try {
    await storage.ping();
    records = (await storage.listAuditChains()).reduce((sum, c) => sum + (c.head?.seq ?? 0), 0);
    storageHealth = { kind: options.storageKind, ok: true, pingMs: now() - started };
  } catch {
    storageHealth = { kind: options.storageKind, ok: false, error: 'storage is not reachable' };
  }
  const keys = domains.keys();
  const active = keys.filter((k) => domains.transitKeyStatus(k).some((t) => t.active)).length;
  return {
    storage: storageHealth,
    keystore: {
      domains: keys.length,
      activeTransitKeys: active,
      multiplier: options.multiplier,
      ok: active === keys.length,
    },
    audit: { records },
    traffic: options.traffic.health(),
  };
}

const tags = ['admin'];

/** GET /admin/v1/traffic: the service's traffic, summed over its processes. */
function trafficRoute(options: AdminTrafficRoutesOptions): Route {
  const { traffic } = options;
  return route<{ Querystring: { since?: string } }>({
    method: 'GET',
    url: '/admin/v1/traffic',
    operation: 'admin.traffic',
    access: 'admin',
    schema: {
      tags,
      summary:
        'Traffic per operation over the last minutes, summed over all processes and instances, one sample per interval (since: ms since the epoch)',
      querystring: { type: 'object', additionalProperties: false, properties: { since: { type: 'string' } } },
      response: responses({
        type: 'object',
        properties: {
          intervalMs: int,
          samples: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                time: int,
                seconds: num,
                processes: { ...int, description: 'Processes (workers, instances) whose counts are summed' },
                operations: { type: 'object', additionalProperties: operationTraffic },
              },
            },
          },
        },
      }),
    },
    handler: async (request) => {
      const since = request.query.since;
      if (since !== undefined && !/^\d{1,15}$/.test(since))
        throw new ServiceError('ERR_SERVER_INVALID_REQUEST', 'since must be milliseconds since the epoch');
      return {
        intervalMs: traffic.intervalMs,
        samples: await traffic.samples(since === undefined ? 0 : Number(since)),
      };
    },
  });
}

/** GET /admin/v1/health: storage, key store, audit and traffic-sample health. */
function healthRoute(options: AdminTrafficRoutesOptions): Route {
  return route({
    method: 'GET',
    url: '/admin/v1/health',
    operation: 'admin.health',
    access: 'admin',
    schema: {
      tags,
      summary: 'Storage and key-store health',
      response: responses({
        type: 'object',
        properties: {
          storage: {
            type: 'object',
            properties: { kind: { type: 'string' }, ok: { type: 'boolean' }, pingMs: num, error: { type: 'string' } },
          },
          keystore: {
            type: 'object',
            properties: {
              domains: int,
              activeTransitKeys: int,
              multiplier: { type: 'string' },
              ok: { type: 'boolean' },
            },
          },
          audit: { type: 'object', properties: { records: int } },
          traffic: {
            type: 'object',
            description: "Whether this process's traffic samples reach storage",
            properties: { ok: { type: 'boolean' }, lastFailure: int, pending: int },
          },
        },
      }),
    },
    handler: async () => health(options),
  });
}

export function adminTrafficRoutes(options: AdminTrafficRoutesOptions): Route[] {
  return [trafficRoute(options), healthRoute(options)];
}
