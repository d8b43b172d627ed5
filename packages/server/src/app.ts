/**
 * The app factory: builds the Fastify app from a validated config. Starting to listen is
 * server.ts's job; tests build the app and use `inject`, or listen on port 0.
 *
 * Load order: keys and storage first (a wrong master key or a bad JWKS stops here), then
 * authentication (the token issuer's keys), then the request security hooks (authentication,
 * access rules, limits, audit: request-security.ts), then the external plugins (OpenAPI from the
 * route schemas, docs page), then the response, CORS and metrics hooks, then the routes. The HTTP(S)
 * server under it, its logging and its answer to every refusal are http-server.ts's.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { AccessControl } from './access-rules.js';
import { AuditLog } from './audit.js';
import { Authenticator } from './authentication.js';
import type { ServiceConfig } from './config.js';
import { createFastify } from './http-server.js';
import { registerCors } from './cors.js';
import { DEFAULT_DEFINITIONS_POLL_MS, DefinitionsSync } from './definitions-sync.js';
import type { DomainRegistry } from './domains.js';
import { type Keystore, openKeystore } from './keystore.js';
import { Quotas, RateLimiter } from './limits.js';
import { Metrics, type RequestOutcome } from './metrics.js';
import { registerJsonBody } from './json-body.js';
import { selectMultiplier } from './multipliers.js';
import { Pseudonymisation } from './pseudonymisation.js';
import { SingleUseTransits } from './single-use.js';
import { OwnerJwksRefresher } from './owner-jwks-refresh.js';
import { ServiceError } from './errors.js';
import { registerCrossSiteRefusal } from './cross-site.js';
import { registerRequestSecurity } from './request-security.js';
import { adminAccessRoutes } from './routes/admin-access.js';
import { adminDomainRoutes } from './routes/admin-domains.js';
import { adminAuditRoutes } from './routes/admin-audit.js';
import { adminOwnerJwksRoutes } from './routes/admin-owner-jwks.js';
import { adminSessionRoutes } from './routes/admin-session.js';
import { adminTrafficRoutes } from './routes/admin-traffic.js';
import { consoleRoutes, loadConsoleFiles } from './routes/console.js';
import { domainDocumentRoutes } from './routes/domain-document.js';
import { opsRoutes } from './routes/ops.js';
import { pseudonymisationRoutes } from './routes/pseudonymisation.js';
import { type Route, registerRoutes, route } from './routes/route-table.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { StorageReadiness } from './storage-readiness.js';
import type { Storage } from './storage/storage.js';
import { TrafficSampler } from './traffic-sampler.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation's name in metrics. */
    operation?: string;
  }
  interface FastifyInstance {
    /** The domains and their keys (for operators and tests; never exposed over HTTP). */
    domains: DomainRegistry;
    /** The service's storage (for operators and tests). */
    storage: Storage;
    /** The service's keys and their key store (for operators and tests; never exposed over HTTP). */
    keystore: Keystore;
  }
}

export interface BuildAppOptions {
  /** Milliseconds since the epoch (tests move time). Default Date.now. */
  now?: () => number;
  /** Where the master key may come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /**
   * Milliseconds between two refreshes of the owners' JWKS, instead of
   * `config.ownerJwksRefresh.intervalSeconds` (tests, which cannot wait a minute).
   */
  ownerJwksRefreshIntervalMs?: number;
  /** Longest time before a change made through another instance is seen (default 1 s). */
  definitionsPollMs?: number;
  /**
   * The audit chain this instance appends to (default "main"). Instances sharing one database
   * may share a chain (their commits then wait on each other) or each name their own.
   */
  auditChain?: string;
}

function outcomeOf(statusCode: number): RequestOutcome {
  if (statusCode >= 500) return 'server_error';
  if (statusCode >= 400) return 'client_error';
  return 'success';
}

/** The operator console's pages and the admin routes that only it needs (traffic, audit search…). */
async function registerConsole(
  app: FastifyInstance,
  o: {
    config: ServiceConfig;
    keystore: Keystore;
    metrics: Metrics;
    multiplier: string;
    ownerJwks: OwnerJwksRefresher;
    now: () => number;
  },
): Promise<void> {
  const { storage, domains } = o.keystore;
  const traffic = new TrafficSampler({ metrics: o.metrics, store: storage.trafficSamples, now: o.now });
  app.addHook('onReady', async () => traffic.start());
  app.addHook('onClose', async () => traffic.stop());
  const files = await loadConsoleFiles();
  if (typeof files === 'string') app.log.warn(`operator console unavailable: ${files}`);
  registerRoutes(app, [
    ...adminSessionRoutes(),
    ...adminAuditRoutes({ storage }),
    ...adminOwnerJwksRoutes({ ownerJwks: o.ownerJwks }),
    ...adminTrafficRoutes({
      storage,
      storageKind: o.config.storage.kind,
      domains,
      traffic,
      multiplier: o.multiplier,
      now: o.now,
    }),
    ...consoleRoutes(files),
  ]);
}

/** Builds the service. Rejects when the keys cannot be opened (wrong master key, bad JWKS…). */
export async function buildApp(config: ServiceConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const keystore: Keystore = await openKeystore(config, {
    now,
    ...(options.env === undefined ? {} : { env: options.env }),
    syncConfigDomains: true,
  });
  try {
    return await assemble(config, keystore, now, options);
  } catch (err) {
    await keystore.close();
    throw err;
  }
}

/** The OpenAPI document (from the route schemas) and its docs page. */
async function registerApiDocs(app: FastifyInstance, publicBaseUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'blindpseudo — blind pseudonymisation service',
        description: 'eHealth Pseudonymisation REST v1 protocol (see PROTOCOL.md). Errors are RFC 9457 problems.',
        version: '1',
      },
      servers: [{ url: publicBaseUrl }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

/** The OpenAPI document, as JSON (not itself in the document). */
function openApiRoute(app: FastifyInstance): Route {
  return route({
    method: 'GET',
    url: '/openapi.json',
    operation: 'openapi',
    access: 'public',
    schema: { hide: true },
    handler: async () => app.swagger(),
  });
}

/** What every answer gets: a 404 problem where no route matches, security headers, CORS, metrics. */
function registerResponseHooks(app: FastifyInstance, config: ServiceConfig, metrics: Metrics): void {
  app.setNotFoundHandler(async () => {
    throw new ServiceError('ERR_SERVER_NOT_FOUND', 'no resource at this method and path');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  registerCors(app, config.cors);
  app.addHook('onResponse', async (request, reply) => {
    const operation = request.routeOptions.config.operation ?? 'other';
    metrics.observeRequest(operation, outcomeOf(reply.statusCode), reply.elapsedTime / 1000);
    if (reply.statusCode === 429) metrics.countRefusal(operation);
  });
}

/** Authentication, access rules, rate limit, quotas and audit on every request (request-security.ts). */
function registerSecurity(
  app: FastifyInstance,
  o: {
    config: ServiceConfig;
    keystore: Keystore;
    authenticator: Authenticator;
    access: AccessControl;
    metrics: Metrics;
    now: () => number;
    audit: AuditLog;
  },
): void {
  const { config, keystore, authenticator, access, metrics, now, audit } = o;
  registerRequestSecurity(app, {
    authenticator,
    access,
    domains: keystore.domains,
    adminGroups: config.auth.adminGroups,
    rateLimiter:
      config.limits.rate === undefined ? undefined : new RateLimiter(config.limits.rate, keystore.storage, now),
    quotas: new Quotas(config.limits, keystore.storage, now, (alarm) => {
      metrics.countEnumerationAlarm(alarm.operation);
      app.log.warn(alarm, 'enumeration alarm: a principal passed the daily item threshold');
    }),
    audit,
  });
}

async function assemble(
  config: ServiceConfig,
  keystore: Keystore,
  now: () => number,
  options: BuildAppOptions,
): Promise<FastifyInstance> {
  const authenticator = await Authenticator.create(config.auth, keystore.storage, now);
  const app = await createFastify(config, options.logStream);
  for (const warning of [...keystore.warnings, ...authenticator.warnings]) app.log.warn(warning);
  app.decorate('domains', keystore.domains);
  app.decorate('storage', keystore.storage);
  app.decorate('keystore', keystore);
  app.addHook('onClose', async () => keystore.close());

  const metrics = new Metrics();
  const { multiplier, fallbackReason } = selectMultiplier(config.multiplier);
  if (fallbackReason !== undefined)
    app.log.warn(`native multiplier unavailable (${fallbackReason}): using node:crypto`);
  const ownerJwks = new OwnerJwksRefresher({
    domains: keystore.domains,
    metrics,
    log: app.log,
    intervalMs: options.ownerJwksRefreshIntervalMs ?? config.ownerJwksRefresh.intervalSeconds * 1000,
    timeoutMs: config.ownerJwksRefresh.timeoutMs,
    now,
  });
  app.addHook('onClose', async () => ownerJwks.stop());
  const singleUse = new SingleUseTransits(keystore.storage, now);
  const pseudonymisation = new Pseudonymisation(keystore.domains, multiplier, now, singleUse);
  app.log.info(
    { multiplier: multiplier.name, keyStore: keystore.keyStore, domains: keystore.domains.keys() },
    'keys loaded',
  );

  const access = new AccessControl(keystore.storage, keystore.domains);
  const audit = new AuditLog(
    keystore.storage,
    now,
    options.auditChain === undefined ? {} : { chain: options.auditChain },
  );
  registerSecurity(app, { config, keystore, authenticator, access, metrics, now, audit });
  registerCrossSiteRefusal(app);

  await registerApiDocs(app, config.publicBaseUrl);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  // JSON in UTF-8 only: other media types, charsets and encodings are refused with 415.
  registerJsonBody(app);

  registerResponseHooks(app, config, metrics);

  registerRoutes(app, [
    ...domainDocumentRoutes({ domains: keystore.domains, access }),
    ...pseudonymisationRoutes({ pseudonymisation, metrics, access, log: app.log }),
    ...opsRoutes({
      readiness: new StorageReadiness(keystore.storage, audit),
      keyStoreReady: () => keystore.keyStoreReady(),
      domains: keystore.domains,
      metrics,
    }),
    ...adminDomainRoutes({ domains: keystore.domains, access, ownerJwks }),
    ...adminAccessRoutes({ storage: keystore.storage, domains: keystore.domains, access, now, authenticator }),
    openApiRoute(app),
  ]);
  await registerConsole(app, { config, keystore, metrics, multiplier: multiplier.name, ownerJwks, now });
  const definitions = new DefinitionsSync({
    storage: keystore.storage,
    domains: keystore.domains,
    log: app.log,
    pollMs: options.definitionsPollMs ?? DEFAULT_DEFINITIONS_POLL_MS,
  });
  app.addHook('onClose', async () => definitions.stop());
  await app.ready();
  ownerJwks.start();
  await definitions.start();
  return app;
}
