/**
 * The app factory: builds the Fastify app from a validated config. Starting to listen is
 * server.ts's job; tests build the app and use `inject`, or listen on port 0.
 *
 * Load order: keys and storage first (a wrong master key or a bad JWKS stops here), then
 * authentication (the token issuer's keys), then the request security hooks (authentication,
 * access rules, limits, audit: request-security.ts), then the external plugins (OpenAPI from the
 * route schemas, docs page), then the error handling, CORS and metrics hooks, then the routes.
 *
 * With `config.tls` the service speaks HTTPS; with `config.auth.mtls` it asks for a client
 * certificate (optional at the TLS level, so that bearer tokens still work; checked per request).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AccessControl } from './access-rules.js';
import { AuditLog } from './audit.js';
import { Authenticator } from './authentication.js';
import type { ServiceConfig } from './config.js';
import { ConfigError, ServiceError } from './errors.js';
import { answerClientError, answerServerRefusals } from './connection-errors.js';
import { registerCors } from './cors.js';
import { DEFAULT_DEFINITIONS_POLL_MS, DefinitionsSync } from './definitions-sync.js';
import type { DomainRegistry } from './domains.js';
import { type Keystore, openKeystore } from './keystore.js';
import { Quotas, RateLimiter } from './limits.js';
import { Metrics, type RequestOutcome } from './metrics.js';
import { registerJsonBody } from './json-body.js';
import { selectMultiplier } from './multipliers.js';
import { Pseudonymisation } from './pseudonymisation.js';
import { OwnerJwksRefresher } from './owner-jwks-refresh.js';
import { PROBLEM_CONTENT_TYPE, problem, problemFromError } from './problems.js';
import { registerCrossSiteRefusal } from './cross-site.js';
import { requestIdOf } from './request-id.js';
import { registerRequestSecurity } from './request-security.js';
import { adminAccessRoutes } from './routes/admin-access.js';
import { adminDomainRoutes } from './routes/admin-domains.js';
import { adminAuditRoutes } from './routes/admin-audit.js';
import { adminOwnerJwksRoutes } from './routes/admin-owner-jwks.js';
import { adminSessionRoutes } from './routes/admin-session.js';
import { adminTrafficRoutes } from './routes/admin-traffic.js';
import { consoleRoutes } from './routes/console.js';
import { domainDocumentRoutes } from './routes/domain-document.js';
import { opsRoutes } from './routes/ops.js';
import { pseudonymisationRoutes } from './routes/pseudonymisation.js';
import { registerRoutes, route } from './routes/route-table.js';
import { SHARED_SCHEMAS } from './schemas.js';
import type { Storage } from './storage/storage.js';
import { TrafficSampler } from './traffic.js';

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
}

/** Log redaction: request bodies, tokens, and anything shaped like a point or a transitInfo. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
  'res.body',
  'body',
  'err.body',
  '*.x',
  '*.y',
  '*.transitInfo',
  '*.scalar',
];

/** A URL as logged: its query string may hold credentials (`?access_token=`), so only its presence shows. */
function loggedUrl(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : `${url.slice(0, query)}?[redacted]`;
}

/** How requests appear in the logs: Fastify's members, the URL without its query string. */
const logSerializers = {
  req: (req: FastifyRequest) => ({
    method: req.method,
    url: loggedUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};

function outcomeOf(statusCode: number): RequestOutcome {
  if (statusCode >= 500) return 'server_error';
  if (statusCode >= 400) return 'client_error';
  return 'success';
}

/** The one answer to every error of a request: its problem (problems.ts), logged without the request. */
function answerProblem(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { problem: body, headers, serverFault } = problemFromError(err, requestIdOf(request.body));
  if (serverFault) request.log.error({ err }, 'request failed');
  else request.log.info({ problem: body.type, detail: body.detail }, 'request refused');
  reply.headers(headers);
  request.problemKind = body.type.slice(body.type.lastIndexOf(':') + 1);
  return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** HTTP/1.1 requires Host (RFC 9112, 3.2): Node's own refusal has no body, so the check is here. */
async function hostRequired(request: FastifyRequest): Promise<void> {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined)
    throw new ServiceError('ERR_SERVER_INVALID_REQUEST', 'the request has no Host header');
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
  const traffic = new TrafficSampler({ metrics: o.metrics, now: o.now });
  app.addHook('onReady', async () => traffic.start());
  app.addHook('onClose', async () => traffic.stop());
  const { storage, domains } = o.keystore;
  await app.register(adminSessionRoutes);
  await app.register(adminAuditRoutes, { storage });
  await app.register(adminOwnerJwksRoutes, { ownerJwks: o.ownerJwks });
  await app.register(adminTrafficRoutes, {
    storage,
    storageKind: o.config.storage.kind,
    domains,
    traffic,
    multiplier: o.multiplier,
    now: o.now,
  });
  await app.register(consoleRoutes);
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

async function readPem(file: string, path: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigError(path, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * How often Node checks for requests not received whole within requestTimeoutMs (its default,
 * 30 s, would let a slow request live up to twice the timeout).
 */
function connectionsCheckingInterval(config: ServiceConfig): number {
  return Math.min(1000, config.limits.requestTimeoutMs);
}

/**
 * Node's server options for slow requests. headersTimeout must not exceed requestTimeout: with
 * Node's default (60 s) above it, a shorter request timeout never fires at all.
 */
function slowRequestOptions(config: ServiceConfig): object {
  return {
    connectionsCheckingInterval: connectionsCheckingInterval(config),
    // A request without Host is answered with a problem (hostRequired below), not an empty 400.
    requireHostHeader: false,
    requestTimeout: config.limits.requestTimeoutMs,
    headersTimeout: Math.min(60_000, config.limits.requestTimeoutMs),
  };
}

/** HTTPS server options, asking for (not requiring) a client certificate when mTLS is on. */
async function httpsOptions(config: ServiceConfig): Promise<object | undefined> {
  if (config.tls === undefined) return undefined;
  const mtls = config.auth.mtls;
  return {
    ...slowRequestOptions(config),
    cert: await readPem(config.tls.certFile, 'config.tls.certFile'),
    key: await readPem(config.tls.keyFile, 'config.tls.keyFile'),
    ...(mtls === undefined
      ? {}
      : { ca: await readPem(mtls.caFile, 'config.auth.mtls.caFile'), requestCert: true, rejectUnauthorized: false }),
  };
}

async function assemble(
  config: ServiceConfig,
  keystore: Keystore,
  now: () => number,
  options: BuildAppOptions,
): Promise<FastifyInstance> {
  const https = await httpsOptions(config);
  const authenticator = await Authenticator.create(config.auth, keystore.storage, now);
  // One factory call for HTTP and HTTPS: the instance is used the same way.
  const app = Fastify({
    ...(https === undefined ? { http: slowRequestOptions(config) } : { https }),
    clientErrorHandler: answerClientError,
    frameworkErrors: answerProblem,
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: logSerializers,
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
    bodyLimit: config.limits.bodyLimitBytes,
    requestTimeout: config.limits.requestTimeoutMs,
    // Idle sockets are closed silently: later than a slow request's 408 problem.
    connectionTimeout: config.limits.requestTimeoutMs + 2 * connectionsCheckingInterval(config),
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    genReqId: () => randomUUID(),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }) as unknown as FastifyInstance;
  answerServerRefusals(app.server, app.log);
  app.addHook('onRequest', hostRequired);
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
  const pseudonymisation = new Pseudonymisation(keystore.domains, multiplier, now);
  app.log.info(
    { multiplier: multiplier.name, keyStore: keystore.keyStore, domains: keystore.domains.keys() },
    'keys loaded',
  );

  const access = new AccessControl(keystore.storage, keystore.domains);
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
    audit: new AuditLog(keystore.storage, now),
  });
  registerCrossSiteRefusal(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'blindpseudo — blind pseudonymisation service',
        description: 'eHealth Pseudonymisation REST v1 protocol (see PROTOCOL.md). Errors are RFC 9457 problems.',
        version: '1',
      },
      servers: [{ url: config.publicBaseUrl }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  // JSON in UTF-8 only: other media types, charsets and encodings are refused with 415.
  registerJsonBody(app);

  app.setErrorHandler(answerProblem);
  app.setNotFoundHandler((request, reply) => {
    request.problemKind = 'resourceNotFound';
    return reply
      .status(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problem('resourceNotFound', `no resource at ${request.method} ${request.url.split('?')[0]}`));
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

  registerRoutes(app, [
    ...domainDocumentRoutes({ domains: keystore.domains, access }),
    ...pseudonymisationRoutes({ pseudonymisation, metrics, access, log: app.log }),
    ...opsRoutes({
      storage: keystore.storage,
      keyStoreReady: () => keystore.keyStoreReady(),
      domains: keystore.domains,
      metrics,
    }),
    ...adminDomainRoutes({ domains: keystore.domains, access, ownerJwks }),
    ...adminAccessRoutes({ storage: keystore.storage, domains: keystore.domains, access, now, authenticator }),
    route({
      method: 'GET',
      url: '/openapi.json',
      operation: 'openapi',
      access: 'public',
      schema: { hide: true },
      handler: async () => app.swagger(),
    }),
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
