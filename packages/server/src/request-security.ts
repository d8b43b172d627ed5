/**
 * The security of every request, as Fastify hooks, in order:
 *
 * 1. onRequest: authenticate (401), rate limit (429), then authorize the route's access — any
 *    authenticated principal, the admin role, or the protocol operation against the domain's
 *    access rules (403) — before the body is even read.
 * 2. preHandler: count the items against the principal's daily quota (429).
 * 3. onSend: append the audit record (principal, operation, domains, items, outcome, ids,
 *    peer; never the body) and answer only once it is committed — successes and refusals alike.
 *    A record that cannot be written turns the answer into a 503 problem with Retry-After: no
 *    request is answered without its record (fail closed).
 *
 * Routes declare their access in `config.access`; a route that declares nothing requires an
 * authenticated principal (deny by default). Public routes (probes, metrics, OpenAPI, the
 * service's public keys) are neither authenticated nor audited.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl } from './access-rules.js';
import type { AuditLog } from './audit.js';
import type { AuditEntry } from './audit-record.js';
import type { Authenticator } from './authentication.js';
import { DOMAIN_KEY_PATTERN, type QuotaOperation } from './config.js';
import type { DomainRegistry } from './domains.js';
import type { Quotas, RateLimiter } from './limits.js';
import { type Principal, isAdmin } from './principals.js';
import { ServiceError } from './errors.js';
import { requestIdOf } from './request-id.js';
import { PROBLEM_CONTENT_TYPE, problem } from './problems.js';
import { STORAGE_RETRY_AFTER_SECONDS } from './storage/faults.js';

/** Who may call a route: a protocol operation is checked against the domain's access rules. */
export type RouteAccess = 'public' | 'authenticated' | 'admin' | QuotaOperation;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The authenticated caller (null on public routes and before authentication). */
    principal: Principal | null;
    /** The problem type name answered, for the audit (null on success). */
    problemKind: string | null;
  }
}

export interface RequestSecurityOptions {
  authenticator: Authenticator;
  access: AccessControl;
  domains: DomainRegistry;
  adminGroups: readonly string[];
  rateLimiter: RateLimiter | undefined;
  quotas: Quotas;
  audit: AuditLog;
}

/** The authenticated principal of a request on a non-public route. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error('route reached without authentication');
  return request.principal;
}

const MAX_AUDITED_PARAM = 64;

function param(request: FastifyRequest, name: string): string | null {
  const v = (request.params as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v.length > 0 ? v.slice(0, MAX_AUDITED_PARAM) : null;
}

/**
 * The domain an admin call acts on when it names it in the body (grants name `domain`, a new
 * domain its `key`), so that auditors find access changes by domain like everything else.
 */
function adminBodyDomain(request: FastifyRequest): string | null {
  if (request.routeOptions.config.access !== 'admin') return null;
  const body = request.body as { domain?: unknown; key?: unknown } | undefined | null;
  const v = body?.domain ?? body?.key;
  return typeof v === 'string' && DOMAIN_KEY_PATTERN.test(v) ? v : null;
}

function itemCount(request: FastifyRequest): number {
  const access = request.routeOptions.config.access;
  if (access !== 'pseudonymize' && access !== 'identify' && access !== 'convert') return 0;
  const body = request.body as { inputs?: unknown } | undefined | null;
  if (body === undefined || body === null) return 0;
  return Array.isArray(body.inputs) ? body.inputs.length : 1;
}

function callerRequestId(request: FastifyRequest): string | null {
  return requestIdOf(request.body) ?? null;
}

export function registerRequestSecurity(app: FastifyInstance, options: RequestSecurityOptions): void {
  const { authenticator, access, domains, rateLimiter, quotas, audit } = options;
  app.decorateRequest('principal', null);
  app.decorateRequest('problemKind', null);

  app.addHook('onRoute', (route) => {
    // The docs page and its assets come from a plugin: public like the OpenAPI document.
    if (route.url.startsWith('/docs')) route.config = { ...route.config, access: 'public' };
  });

  app.addHook('onRequest', async (request) => {
    const routeAccess = request.routeOptions.config.access ?? 'authenticated';
    if (routeAccess === 'public') return;
    const principal = await authenticator.authenticate(request);
    request.principal = principal;
    await rateLimiter?.take(principal.id);
    if (routeAccess === 'authenticated') return;
    if (routeAccess === 'admin') {
      if (!isAdmin(principal, options.adminGroups))
        throw new ServiceError('ERR_SERVER_MISSING_PERMISSION', 'the admin API is reserved to the admin role');
      return;
    }
    const from = param(request, 'domainKey') ?? '';
    domains.get(from);
    if (routeAccess === 'convert') {
      const to = param(request, 'toDomainKey') ?? '';
      domains.get(to);
      await access.require(principal, from, 'convertFrom');
      await access.require(principal, to, 'convertTo');
    } else {
      await access.require(principal, from, routeAccess);
    }
  });

  app.addHook('preHandler', async (request) => {
    const routeAccess = request.routeOptions.config.access;
    if (routeAccess !== 'pseudonymize' && routeAccess !== 'identify' && routeAccess !== 'convert') return;
    await quotas.count(principalOf(request).id, routeAccess, itemCount(request));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if ((request.routeOptions.config.access ?? 'authenticated') === 'public') return payload;
    try {
      await audit.append(auditEntry(request, reply.statusCode));
      return payload;
    } catch (err) {
      request.log.error({ err }, 'audit record could not be written: the request is refused');
      reply
        .code(503)
        .removeHeader('content-length')
        .header('retry-after', String(STORAGE_RETRY_AFTER_SECONDS))
        .type(PROBLEM_CONTENT_TYPE);
      const body = problem(
        'serviceUnavailable',
        'the request could not be recorded',
        callerRequestId(request) ?? undefined,
      );
      return JSON.stringify(body);
    }
  });
  app.addHook('onClose', async () => audit.flush());
}

function auditEntry(request: FastifyRequest, statusCode: number): AuditEntry {
  return {
    principal: request.principal?.id ?? null,
    operation: request.routeOptions.config.operation ?? 'other',
    domainKey: param(request, 'domainKey') ?? adminBodyDomain(request),
    toDomainKey: param(request, 'toDomainKey'),
    items: itemCount(request),
    status: statusCode,
    outcome: request.problemKind ?? (statusCode < 400 ? 'success' : 'error'),
    requestId: request.id,
    callerRequestId: callerRequestId(request),
    peer: request.ip ?? null,
  };
}
