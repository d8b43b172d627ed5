/**
 * The HTTP(S) server under the app, and what happens before routing: Node's server options (slow
 * requests, TLS and client certificates), logging (never a body, a token or a query string), and
 * the one answer to every refusal, whether the service, the framework or the connection refuses
 * (problems.ts, connection-errors.ts).
 *
 * With `config.tls` the service speaks HTTPS; with `config.auth.mtls` it asks for a client
 * certificate (optional at the TLS level, so that bearer tokens still work; checked per request).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServiceConfig } from './config.js';
import { answerClientError, answerServerRefusals } from './connection-errors.js';
import { ConfigError, ServiceError } from './errors.js';
import { PROBLEM_CONTENT_TYPE, problemFromError } from './problems.js';
import { requestIdOf } from './request-id.js';

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

/** The Fastify instance over Node's HTTP or HTTPS server, every refusal answered as a problem. */
export async function createFastify(
  config: ServiceConfig,
  logStream: NodeJS.WritableStream | undefined,
): Promise<FastifyInstance> {
  const https = await httpsOptions(config);
  // One factory call for HTTP and HTTPS: the instance is used the same way.
  const app = Fastify({
    ...(https === undefined ? { http: slowRequestOptions(config) } : { https }),
    clientErrorHandler: answerClientError,
    frameworkErrors: answerProblem,
    logger: {
      level: config.logLevel,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: logSerializers,
      ...(logStream === undefined ? {} : { stream: logStream }),
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
  app.setErrorHandler(answerProblem);
  return app;
}
