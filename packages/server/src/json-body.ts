/**
 * Request bodies are JSON in UTF-8, sent as they are: `application/json` only (other media types
 * 415), no `charset` but UTF-8 (415), no `Content-Encoding` but `identity` (415), and bytes that
 * are not UTF-8 are refused (400) instead of being read as U+FFFD. The JSON itself is parsed by
 * Fastify's own parser, which refuses `__proto__` and `constructor.prototype` keys.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from './errors.js';

const JSON_MEDIA_TYPE = 'application/json';

/** The `charset` parameter of a Content-Type, lower case, unquoted; undefined without one. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*("([^"]*)"|[^;\s]*)/i.exec(contentType ?? '');
  if (match === null) return undefined;
  return (match[2] ?? match[1] ?? '').toLowerCase();
}

/** Refuses what the service cannot read as sent; throws an unsupportedMediaType problem. */
function assertPlainUtf8(request: FastifyRequest): void {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new ServiceError(
      'ERR_SERVER_UNSUPPORTED_MEDIA_TYPE',
      'request bodies must be sent without a content encoding',
    );
  }
  const charset = charsetOf(request.headers['content-type']);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ServiceError('ERR_SERVER_UNSUPPORTED_MEDIA_TYPE', 'request bodies must be JSON in UTF-8 (charset=utf-8)');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Replaces Fastify's JSON and text parsers: JSON only, in UTF-8, as sent. */
export function registerJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPE, { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      assertPlainUtf8(request);
      text = utf8.decode(body as Buffer);
    } catch (err) {
      if (err instanceof ServiceError) return done(err, undefined);
      return done(new ServiceError('ERR_SERVER_INVALID_REQUEST', 'the request body is not valid UTF-8'), undefined);
    }
    parseJson(request, text, done);
  });
}
