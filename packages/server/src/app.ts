/**
 * The app factory: builds the Fastify app from a validated config. Starting to listen is
 * server.ts's job; tests build the app and use `inject`, or listen on port 0.
 *
 * Load order: keys and storage first (a wrong master key or a bad JWKS stops here), then the
 * external plugins (OpenAPI from the route schemas, docs page), then the error handling and
 * metrics hooks, then the routes.
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServiceConfig } from './config.js';
import type { DomainRegistry } from './domains.js';
import { type Keystore, openKeystore } from './keystore.js';
import { Metrics, type RequestOutcome } from './metrics.js';
import { selectMultiplier } from './multipliers.js';
import { Pseudonymisation } from './operations.js';
import { PROBLEM_CONTENT_TYPE, problem, problemFromError } from './problems.js';
import { domainDocumentRoutes } from './routes/domain-document.js';
import { operationsRoutes } from './routes/operations.js';
import { pseudonymisationRoutes } from './routes/pseudonymisation.js';
import { SHARED_SCHEMAS } from './schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation's name in metrics. */
    operation?: string;
  }
  interface FastifyInstance {
    /** The domains and their keys (for operators and tests; never exposed over HTTP). */
    domains: DomainRegistry;
  }
}

export interface BuildAppOptions {
  /** Milliseconds since the epoch (tests move time). Default Date.now. */
  now?: () => number;
  /** Where the master key may come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
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

function outcomeOf(statusCode: number): RequestOutcome {
  if (statusCode >= 500) return 'server_error';
  if (statusCode >= 400) return 'client_error';
  return 'success';
}

function requestId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
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

async function assemble(
  config: ServiceConfig,
  keystore: Keystore,
  now: () => number,
  options: BuildAppOptions,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
    bodyLimit: config.limits.bodyLimitBytes,
    requestTimeout: config.limits.requestTimeoutMs,
    connectionTimeout: config.limits.requestTimeoutMs,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    genReqId: () => randomUUID(),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  for (const warning of keystore.warnings) app.log.warn(warning);
  app.decorate('domains', keystore.domains);
  app.addHook('onClose', async () => keystore.close());

  const metrics = new Metrics();
  const { multiplier, fallbackReason } = selectMultiplier(config.multiplier);
  if (fallbackReason !== undefined)
    app.log.warn(`native multiplier unavailable (${fallbackReason}): using node:crypto`);
  const pseudonymisation = new Pseudonymisation(keystore.domains, multiplier, now);
  app.log.info({ multiplier: multiplier.name, domains: keystore.domains.keys() }, 'keys loaded');

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

  // JSON only: other media types are refused with 415 rather than half-parsed.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, request, reply) => {
    const { problem: body, serverFault } = problemFromError(err, requestId(request.body));
    if (serverFault) request.log.error({ err }, 'request failed');
    else request.log.info({ problem: body.type, detail: body.detail }, 'request refused');
    return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problem('resourceNotFound', `no resource at ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const operation = request.routeOptions.config.operation ?? 'other';
    metrics.observeRequest(operation, outcomeOf(reply.statusCode), reply.elapsedTime / 1000);
  });

  await app.register(domainDocumentRoutes, { domains: keystore.domains });
  await app.register(pseudonymisationRoutes, { pseudonymisation, metrics });
  await app.register(operationsRoutes, { storage: keystore.storage, domains: keystore.domains, metrics });
  app.get('/openapi.json', { schema: { hide: true }, config: { operation: 'openapi' } }, async () => app.swagger());
  await app.ready();
  return app;
}
