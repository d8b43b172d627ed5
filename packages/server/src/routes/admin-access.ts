/**
 * The admin API's access control, `/admin/v1/…`: access grants, principals, revocation of
 * principals and certificates, and a refresh of the token issuer's keys. Grants and revocations
 * live in storage, which every request reads: changes take effect at the next request. Inputs are
 * checked by {@link Administration}.
 */
import type { AccessControl } from '../access-rules.js';
import { Administration, type GrantInput } from '../administration.js';
import type { Authenticator } from '../authentication.js';
import type { DomainRegistry } from '../domains.js';
import type { Storage, StoredPrincipal } from '../storage/storage.js';
import { responses } from '../schemas.js';
import { type Route, route } from './route-table.js';

export interface AdminAccessRoutesOptions {
  storage: Storage;
  domains: DomainRegistry;
  access: AccessControl;
  now: () => number;
  authenticator: Authenticator;
}

const str = { type: 'string' } as const;
const strings = { type: 'array', items: str } as const;
const tags = ['admin'];
const base = '/admin/v1';

const grantInput = {
  type: 'object',
  required: ['domain', 'operation', 'subject'],
  additionalProperties: false,
  properties: { domain: str, operation: str, subject: str },
} as const;
const idBody = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: str } } as const;
const principalSchema = {
  type: 'object',
  properties: {
    id: str,
    description: str,
    groups: strings,
    createdAt: { type: 'integer' },
    revokedAt: { type: 'integer' },
  },
} as const;
const changed = (name: string): object => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'boolean' } },
});

const principalOut = (p: StoredPrincipal): object => ({
  id: p.id,
  description: p.description,
  groups: p.groups,
  createdAt: p.createdAt,
  ...(p.revokedAt === undefined ? {} : { revokedAt: p.revokedAt }),
});

interface Change<B> {
  readonly url: string;
  readonly operation: string;
  readonly summary: string;
  readonly body: object;
  /** The answer's one member: whether anything changed. */
  readonly changed: string;
  readonly act: (body: B) => Promise<boolean>;
}

/** A POST that changes one thing and answers whether it did (`{ [changed]: boolean }`). */
function change<B>(c: Change<B>): Route {
  return route<{ Body: B }>({
    method: 'POST',
    url: `${base}/${c.url}`,
    operation: c.operation,
    access: 'admin',
    schema: { tags, summary: c.summary, body: c.body, response: responses(changed(c.changed)) },
    handler: async (request) => ({ [c.changed]: await c.act(request.body as B) }),
  });
}

function grantRoutes(admin: Administration, domains: DomainRegistry, access: AccessControl): Route[] {
  const listGrants = async (only: string | undefined): Promise<object> => {
    const effective: Record<string, object> = {};
    for (const key of only === undefined ? domains.keys() : [only]) effective[key] = await access.effectiveRule(key);
    const grants = await admin.listGrants(only);
    return {
      grants: grants.map((g) => ({ domain: g.domainKey, operation: g.operation, subject: g.subject })),
      effective,
    };
  };
  return [
    route<{ Querystring: { domain?: string } }>({
      method: 'GET',
      url: `${base}/accessGrants`,
      operation: 'admin.listAccessGrants',
      access: 'admin',
      schema: {
        tags,
        summary: 'Access grants made through this API, and the effective rule of each domain',
        querystring: { type: 'object', properties: { domain: str } },
        response: responses({
          type: 'object',
          properties: {
            grants: {
              type: 'array',
              items: { type: 'object', properties: { domain: str, operation: str, subject: str } },
            },
            effective: { type: 'object', additionalProperties: { type: 'object', additionalProperties: strings } },
          },
        }),
      },
      handler: async (request) => listGrants(request.query.domain),
    }),
    change<GrantInput>({
      url: 'accessGrants',
      operation: 'admin.grantAccess',
      summary: 'Grant an operation on a domain',
      body: grantInput,
      changed: 'added',
      act: (b) => admin.grant(b),
    }),
    change<GrantInput>({
      url: 'accessGrants/revoke',
      operation: 'admin.revokeAccess',
      summary: 'Remove a grant',
      body: grantInput,
      changed: 'removed',
      act: (b) => admin.revokeGrant(b),
    }),
  ];
}

function principalRoutes(admin: Administration): Route[] {
  return [
    route({
      method: 'GET',
      url: `${base}/principals`,
      operation: 'admin.listPrincipals',
      access: 'admin',
      schema: {
        tags,
        summary: 'Registered and revoked principals',
        response: responses({ type: 'object', properties: { principals: { type: 'array', items: principalSchema } } }),
      },
      handler: async () => ({ principals: (await admin.listPrincipals()).map(principalOut) }),
    }),
    route<{ Body: { id: string; description?: string; groups?: string[] } }>({
      method: 'POST',
      url: `${base}/principals`,
      operation: 'admin.savePrincipal',
      access: 'admin',
      schema: {
        tags,
        summary: 'Register a principal or replace its description and groups',
        body: {
          type: 'object',
          required: ['id'],
          additionalProperties: false,
          properties: { id: str, description: str, groups: strings },
        },
        response: responses(principalSchema),
      },
      handler: async (request) => principalOut(await admin.savePrincipal(request.body)),
    }),
    change<{ id: string }>({
      url: 'principals/revoke',
      operation: 'admin.revokePrincipal',
      summary: 'Revoke a principal (refused from its next request)',
      body: idBody,
      changed: 'revoked',
      act: (b) => admin.revokePrincipal(b.id),
    }),
    change<{ id: string }>({
      url: 'principals/reinstate',
      operation: 'admin.reinstatePrincipal',
      summary: 'Let a revoked principal act again',
      body: idBody,
      changed: 'reinstated',
      act: (b) => admin.reinstatePrincipal(b.id),
    }),
    change<{ fingerprint: string }>({
      url: 'certificates/revoke',
      operation: 'admin.revokeCertificate',
      summary: 'Revoke a client certificate by its SHA-256 fingerprint',
      body: {
        type: 'object',
        required: ['fingerprint'],
        additionalProperties: false,
        properties: { fingerprint: str },
      },
      changed: 'revoked',
      act: (b) => admin.revokeCertificate(b.fingerprint),
    }),
  ];
}

function issuerKeyRoutes(authenticator: Authenticator): Route[] {
  return [
    route({
      method: 'POST',
      url: `${base}/token-issuer/keys/refresh`,
      operation: 'admin.refreshIssuerKeys',
      access: 'admin',
      schema: {
        tags,
        summary: "Read the token issuer's keys again now (its JWKS file or URL); answers the kids in use",
        response: responses({
          type: 'object',
          properties: { source: { type: 'string', enum: ['file', 'url', 'none'] }, kids: strings },
        }),
      },
      handler: async () => authenticator.refreshIssuerKeys(),
    }),
  ];
}

export function adminAccessRoutes(options: AdminAccessRoutesOptions): Route[] {
  const admin = new Administration(options.storage, { now: options.now });
  return [
    ...grantRoutes(admin, options.domains, options.access),
    ...principalRoutes(admin),
    ...issuerKeyRoutes(options.authenticator),
  ];
}
