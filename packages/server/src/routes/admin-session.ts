/**
 * `GET /admin/v1/session`: who the caller is, for the operator console's log-in. It answers only
 * principals of the admin role (like every admin route): anyone else gets the 403 problem, so the
 * console shows its log-in page and no data. Names the principal, its groups and how it
 * authenticated; never the credential.
 */
import { principalOf } from '../request-security.js';
import { responses } from '../schemas.js';
import { type Route, route } from './route-table.js';

const str = { type: 'string' } as const;

export function adminSessionRoutes(): Route[] {
  return [
    route({
      method: 'GET',
      url: '/admin/v1/session',
      operation: 'admin.session',
      access: 'admin',
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
    }),
  ];
}
