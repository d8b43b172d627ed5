/**
 * Cross-site request refusal for the admin API (CSRF defence in depth). The console sends its
 * credential in the Authorization header, which a page of another site cannot make a browser
 * send; but a client certificate is presented by the browser to any request of any page, so a
 * page elsewhere could make an operator's browser post a form to the admin API with the
 * operator's certificate. Browsers say where a request comes from (`Sec-Fetch-Site`, and
 * `Origin` on POSTs): an admin request that a browser marks as coming from another origin is
 * refused with 403 before its handler runs (and audited as refused). Non-browser clients (the
 * CLI, curl) send neither header and are not affected.
 *
 * Not protected against: browsers that send neither header (none current).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from './errors.js';

export const ADMIN_PATH_PREFIX = '/admin/v1/';

/** Whether a browser says the request came from a page of another origin. */
export function isCrossOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

export function registerCrossSiteRefusal(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith(ADMIN_PATH_PREFIX) && isCrossOrigin(request))
      throw new ServiceError(
        'ERR_SERVER_MISSING_PERMISSION',
        'the admin API does not answer requests from other sites',
      );
  });
}
