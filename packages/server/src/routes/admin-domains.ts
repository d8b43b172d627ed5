/**
 * The admin API's domains, `/admin/v1/domains…`: list, show, create, rotate the transit key,
 * refresh the owners' keys. Domains and keys live in the running service's registry: changes
 * take effect at once. Every call is authenticated (admin role) and audited like the protocol's.
 */
import type { AccessControl } from '../access-rules.js';
import { validateDomainConfig } from '../config.js';
import { DOMAIN_SUMMARY_SCHEMA, type DomainSummary, domainSummary } from '../domain-summary.js';
import type { DomainRegistry } from '../domains.js';
import { AdministrationError } from '../errors.js';
import type { OwnerJwksRefresher } from '../owner-jwks-refresh.js';
import { domainParams, responses } from '../schemas.js';
import { type Route, route } from './route-table.js';

export interface AdminDomainRoutesOptions {
  domains: DomainRegistry;
  access: AccessControl;
  ownerJwks: OwnerJwksRefresher;
}

const str = { type: 'string' } as const;
const tags = ['admin'];
const base = '/admin/v1/domains';
type KeyParams = { Params: { domainKey: string } };

/** One owner's keys after a refresh: the kids in use, where they came from, why reading failed. */
export const OWNER_KEYS_SCHEMA = {
  type: 'object',
  properties: {
    jku: str,
    source: { type: 'string', enum: ['fetched', 'file', 'inline'] },
    kids: { type: 'array', items: str },
    changed: { type: 'boolean' },
    error: str,
  },
} as const;

/** A domain created over the API: owners' key sets inline (the service does not read the caller's files). */
async function create(domains: DomainRegistry, body: Record<string, unknown>): Promise<string> {
  for (const [i, o] of ((body.owners as unknown[] | undefined) ?? []).entries()) {
    if (typeof o === 'object' && o !== null && 'jwksFile' in o)
      throw new AdministrationError(`owners[${i}].jwksFile is not accepted over the API: give jwks inline`);
  }
  const definition = validateDomainConfig(body, 'domain', '/');
  if (domains.has(definition.key)) throw new AdministrationError(`domain ${definition.key} exists already`);
  await domains.createOrUpdate(definition);
  return definition.key;
}

export function adminDomainRoutes({ domains, access, ownerJwks }: AdminDomainRoutesOptions): Route[] {
  const summary = async (key: string): Promise<DomainSummary> =>
    domainSummary(domains, key, await access.effectiveRule(key));
  return [
    route({
      method: 'GET',
      url: base,
      operation: 'admin.listDomains',
      access: 'admin',
      schema: {
        tags,
        summary: 'Every domain with its transit keys (no key material)',
        response: responses({
          type: 'object',
          properties: { domains: { type: 'array', items: DOMAIN_SUMMARY_SCHEMA } },
        }),
      },
      handler: async () => ({ domains: await Promise.all(domains.keys().map(summary)) }),
    }),
    route<KeyParams>({
      method: 'GET',
      url: `${base}/:domainKey`,
      operation: 'admin.showDomain',
      access: 'admin',
      schema: {
        tags,
        summary: 'One domain: owners, effective access rule, transit keys (no key material)',
        params: domainParams,
        response: responses(DOMAIN_SUMMARY_SCHEMA),
      },
      handler: async (request) => summary(request.params.domainKey),
    }),
    route<{ Body: Record<string, unknown> }>({
      method: 'POST',
      url: base,
      operation: 'admin.createDomain',
      access: 'admin',
      schema: {
        tags,
        summary: 'Create a domain (owners with jku and an inline jwks, or fetched from their jku)',
        body: { type: 'object', required: ['key'], properties: { key: str } },
        response: responses(DOMAIN_SUMMARY_SCHEMA),
      },
      handler: async (request) => summary(await create(domains, request.body)),
    }),
    route<KeyParams>({
      method: 'POST',
      url: `${base}/:domainKey/rotateTransitKey`,
      operation: 'admin.rotateTransitKey',
      access: 'admin',
      schema: {
        tags,
        summary: 'Make a new transit key active (the previous ones open transits until they expire)',
        params: domainParams,
        response: responses({ type: 'object', properties: { domain: str, kid: str } }),
      },
      handler: async (request) => ({
        domain: request.params.domainKey,
        kid: await domains.rotateTransitKey(request.params.domainKey),
      }),
    }),
    route<KeyParams>({
      method: 'POST',
      url: `${base}/:domainKey/owner-jwks/refresh`,
      operation: 'admin.refreshOwnerJwks',
      access: 'admin',
      schema: {
        tags,
        summary: "Read the owners' JWKS again now; secretKeys are encrypted to the keys read (no key material)",
        params: domainParams,
        response: responses({
          type: 'object',
          properties: { domain: str, owners: { type: 'array', items: OWNER_KEYS_SCHEMA } },
        }),
      },
      handler: async (request) => ownerJwks.refresh(request.params.domainKey),
    }),
  ];
}
