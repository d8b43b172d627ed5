/**
 * `GET /admin/v1/session`: who the caller is, for the operator console's log-in. It answers only
 * principals of the admin role (like every admin route): anyone else gets the 403 problem, so the
 * console shows its log-in page and no data. Names the principal, its groups and how it
 * authenticated; never the credential.
 */
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../request-security.js';
import { responses } from '../schemas.js';

const str = { type: 'string' } as const;

export async function adminSessionRoutes(app: FastifyInstance): Promise<void> {
  app.get('/admin/v1/session', {
    config: { operation: 'admin.session', access: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'The calling admin principal, its groups and how it authenticated',
      response: responses({
        type: 'object',
        properties: { principal: str, groups: { type: 'array', items: str }, method: str },
      }),
    },
    handler: async (request) => {
      const p = principalOf(request);
      return { principal: p.id, groups: p.groups, method: p.method };
    },
  });
}
