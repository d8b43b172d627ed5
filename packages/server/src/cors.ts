/**
 * CORS (the Fetch standard's CORS protocol) for browser apps that call the protocol API
 * (`/pseudo/v1/...`) from another origin: the client SDK runs in browsers.
 *
 * - Preflights (`OPTIONS` with `Access-Control-Request-Method`) are public — browsers never send
 *   credentials with them — and answered 204 before any authentication. For an allowed origin
 *   they name the methods (GET, POST), the request headers (`content-type`, `authorization`,
 *   `accept-be-pseudo`) and how long the browser may cache the answer.
 * - Every answer of the protocol API to an allowed origin, problems included (so that a browser
 *   app can read a 401 or a 429), carries `Access-Control-Allow-Origin` with that origin and
 *   exposes `Retry-After`, `Content-Be-Pseudo` and `WWW-Authenticate`.
 * - Other origins get no CORS header at all: their browsers refuse to hand the answer over.
 *   Origins are compared exactly (config.cors.allowedOrigins, validated in config.ts); `Vary:
 *   Origin` keeps caches from serving one origin's answer to another.
 *
 * Credentials are bearer tokens in `Authorization`, never cookies: no
 * `Access-Control-Allow-Credentials`. The admin API is not open to browsers.
 *
 * Not protected against: a page on an allowed origin that is itself compromised (XSS); CORS only
 * decides which pages may read answers, it authenticates nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CorsConfig } from './config.js';

/** The routes CORS applies to: the protocol API. */
export const CORS_PATH_PREFIX = '/pseudo/v1/';
export const CORS_ALLOWED_METHODS = 'GET, POST';
export const CORS_ALLOWED_HEADERS = 'content-type, authorization, accept-be-pseudo';
export const CORS_EXPOSED_HEADERS = 'retry-after, content-be-pseudo, www-authenticate';
/** How long browsers may cache a preflight's answer (Chromium caps it at 2 h). */
export const CORS_MAX_AGE_SECONDS = 600;

function addVaryOrigin(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  const values = vary === undefined ? [] : String(vary).split(/\s*,\s*/);
  if (!values.some((v) => v.toLowerCase() === 'origin' || v === '*'))
    reply.header('vary', [...values, 'Origin'].join(', '));
}

export function registerCors(app: FastifyInstance, config: CorsConfig): void {
  const allowed = new Set(config.allowedOrigins);
  const allowedOrigin = (request: FastifyRequest): string | undefined => {
    const origin = request.headers.origin;
    return typeof origin === 'string' && allowed.has(origin) ? origin : undefined;
  };

  app.options(
    `${CORS_PATH_PREFIX}*`,
    {
      config: { operation: 'corsPreflight', access: 'public' },
      schema: { hide: true, response: { 204: { type: 'null' } } },
    },
    async (request, reply) => {
      const origin = allowedOrigin(request);
      if (allowed.size > 0) addVaryOrigin(reply);
      if (origin !== undefined && request.headers['access-control-request-method'] !== undefined) {
        reply.headers({
          'access-control-allow-origin': origin,
          'access-control-allow-methods': CORS_ALLOWED_METHODS,
          'access-control-allow-headers': CORS_ALLOWED_HEADERS,
          'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
        });
      }
      return reply.status(204).send();
    },
  );

  if (allowed.size === 0) return;
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'OPTIONS' || !request.url.startsWith(CORS_PATH_PREFIX)) return payload;
    addVaryOrigin(reply);
    const origin = allowedOrigin(request);
    if (origin !== undefined) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-expose-headers', CORS_EXPOSED_HEADERS);
    }
    return payload;
  });
}
