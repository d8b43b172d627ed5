/**
 * The state of a domain's owners' key sets over the admin API (`GET
 * /admin/v1/domains/{domainKey}/owner-jwks`): for each owner its jku, where its keys are read
 * (fetched, file, inline), the kids in use, and the error of the last refresh if it failed; when
 * the last refresh ended. Refreshing now is `POST .../owner-jwks/refresh` (routes/admin.ts).
 * Never key material: kids only.
 */
import type { OwnerJwksRefresher } from '../owner-jwks-refresh.js';
import { domainParams, responses } from '../schemas.js';
import { OWNER_KEYS_SCHEMA } from './admin-domains.js';
import { type Route, route } from './route-table.js';

const str = { type: 'string' } as const;

export function adminOwnerJwksRoutes(options: { ownerJwks: OwnerJwksRefresher }): Route[] {
  return [
    route<{ Params: { domainKey: string } }>({
      method: 'GET',
      url: '/admin/v1/domains/:domainKey/owner-jwks',
      operation: 'admin.ownerJwksStatus',
      access: 'admin',
      schema: {
        tags: ['admin'],
        summary: "The owners' key sets in use: kids, source, last refresh and its errors (no key material)",
        params: domainParams,
        response: responses({
          type: 'object',
          properties: {
            domain: str,
            refreshedAt: { type: 'integer' },
            intervalMs: { type: 'integer' },
            owners: { type: 'array', items: OWNER_KEYS_SCHEMA },
          },
        }),
      },
      handler: async (request) => options.ownerJwks.status(request.params.domainKey),
    }),
  ];
}
