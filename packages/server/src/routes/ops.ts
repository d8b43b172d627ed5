/**
 * Ops endpoints (for operators, not the protocol): `/livez` (the process answers, never waiting on
 * storage), `/readyz` (storage takes writes, see storage-readiness.ts; keys loaded), `/metrics` (Prometheus text) and the service's public key set.
 */
import type { DomainRegistry } from '../domains.js';
import type { Metrics } from '../metrics.js';
import { ServiceError } from '../errors.js';
import { SERVICE_JWKS_PATH } from '../service-key.js';
import type { StorageReadiness } from '../storage-readiness.js';
import { type Route, route } from './route-table.js';

export interface OpsRoutesOptions {
  readiness: StorageReadiness;
  /** Whether the key store can work now (a token that does not answer: not ready). */
  keyStoreReady: () => Promise<boolean>;
  domains: DomainRegistry;
  metrics: Metrics;
}

/** The key store's part of readiness (a token reconnects when asked). */
async function checkKeyStore(ready: () => Promise<boolean>): Promise<void> {
  if (!(await ready())) throw new ServiceError('ERR_SERVER_UNAVAILABLE', 'the key store is not available');
}

const status = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, domains: { type: 'integer' } },
} as const;

const jwkSchema = {
  type: 'object',
  properties: {
    kty: { type: 'string' },
    kid: { type: 'string' },
    use: { type: 'string' },
    alg: { type: 'string' },
    n: { type: 'string' },
    e: { type: 'string' },
  },
} as const;
const tags = ['operations'];

export function opsRoutes({ readiness, keyStoreReady, domains, metrics }: OpsRoutesOptions): Route[] {
  return [
    route({
      method: 'GET',
      url: '/livez',
      operation: 'livez',
      access: 'public',
      schema: { summary: 'Liveness', tags, response: { 200: status } },
      handler: async () => ({ status: 'ok' }),
    }),
    route({
      method: 'GET',
      url: '/readyz',
      operation: 'readyz',
      access: 'public',
      schema: {
        summary: 'Readiness: storage takes writes, keys loaded, key store answering',
        tags,
        response: { 200: status, '5xx': { $ref: 'Problem#' } },
      },
      handler: async () => {
        await readiness.check();
        await checkKeyStore(keyStoreReady);
        return { status: 'ready', domains: domains.keys().length };
      },
    }),
    route({
      method: 'GET',
      url: '/metrics',
      operation: 'metrics',
      access: 'public',
      schema: { summary: 'Prometheus metrics', tags, produces: ['text/plain'], response: { 200: { type: 'string' } } },
      handler: async (_request, reply) => {
        reply.type('text/plain; version=0.0.4; charset=utf-8');
        return metrics.render();
      },
    }),
    route({
      method: 'GET',
      url: SERVICE_JWKS_PATH,
      operation: 'serviceJwks',
      access: 'public',
      schema: {
        summary: "The service's own public key set (a recipient of every domain's secret keys)",
        tags,
        response: { 200: { type: 'object', properties: { keys: { type: 'array', items: jwkSchema } } } },
      },
      handler: async () => domains.serviceJwks,
    }),
  ];
}
