/**
 * The admin API, `/admin/v1/...`, for principals of the admin role only (config.auth.adminGroups):
 * domains (list, show, create, rotate the transit key, refresh the owners' keys), access grants, principals, revocation of
 * principals and certificates. Every call is authenticated and audited like the protocol's. The
 * CLI calls it with `--server` (packages/cli/src/admin-client.ts). Changes take effect at once:
 * domains and keys live in the running service's registry, grants and revocations in storage.
 */
import type { FastifyInstance } from 'fastify';
import type { AccessControl } from '../access-rules.js';
import { Administration } from '../administration.js';
import { validateDomainConfig } from '../config.js';
import type { DomainRegistry } from '../domains.js';
import { AdministrationError } from '../errors.js';
import type { OwnerJwksRefresher } from '../owner-jwks-refresh.js';
import type { Storage, StoredPrincipal } from '../storage/storage.js';
import { domainParams, responses } from '../schemas.js';

export interface AdminRoutesOptions {
  storage: Storage;
  domains: DomainRegistry;
  access: AccessControl;
  now: () => number;
  ownerJwks: OwnerJwksRefresher;
}

const str = { type: 'string' } as const;
const strings = { type: 'array', items: str } as const;
const grantInput = {
  type: 'object',
  required: ['domain', 'operation', 'subject'],
  additionalProperties: false,
  properties: { domain: str, operation: str, subject: str },
} as const;
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
const domainSummary = {
  type: 'object',
  properties: {
    domain: str,
    description: str,
    audience: str,
    bufferSize: { type: 'integer' },
    timeToLiveInTransit: str,
    jku: strings,
    accessRule: { type: 'object', additionalProperties: strings },
    transitPolicy: { type: 'object', properties: { bindSubject: { type: 'boolean' }, singleUse: { type: 'boolean' } } },
    transitKeys: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kid: str, active: { type: 'boolean' }, deactivatedAt: { type: 'integer' } },
      },
    },
  },
} as const;

const principalOut = (p: StoredPrincipal): object => ({
  id: p.id,
  description: p.description,
  groups: p.groups,
  createdAt: p.createdAt,
  ...(p.revokedAt === undefined ? {} : { revokedAt: p.revokedAt }),
});

export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { domains, access, ownerJwks } = options;
  const admin = new Administration(options.storage, { now: options.now });
  const config = (operation: string) => ({ operation, access: 'admin' as const });
  const tags = ['admin'];
  const base = '/admin/v1';

  const summary = async (key: string): Promise<object> => {
    const d = domains.get(key);
    return {
      domain: key,
      description: d.definition.description,
      audience: d.audience,
      bufferSize: d.definition.bufferSize,
      timeToLiveInTransit: d.definition.timeToLiveInTransit,
      jku: d.definition.owners.map((o) => o.jku),
      accessRule: await access.effectiveRule(key),
      transitPolicy: d.definition.transitPolicy,
      transitKeys: domains.transitKeyStatus(key).map((k) => ({
        kid: k.kid,
        active: k.active,
        ...(k.deactivatedAt === undefined ? {} : { deactivatedAt: k.deactivatedAt }),
      })),
    };
  };

  app.get(`${base}/domains`, {
    config: config('admin.listDomains'),
    schema: {
      tags,
      summary: 'Every domain with its transit keys (no key material)',
      response: responses({ type: 'object', properties: { domains: { type: 'array', items: domainSummary } } }),
    },
    handler: async () => ({ domains: await Promise.all(domains.keys().map(summary)) }),
  });

  app.get<{ Params: { domainKey: string } }>(`${base}/domains/:domainKey`, {
    config: config('admin.showDomain'),
    schema: {
      tags,
      summary: 'One domain: owners, effective access rule, transit keys (no key material)',
      params: domainParams,
      response: responses(domainSummary),
    },
    handler: async (request) => summary(request.params.domainKey),
  });

  app.post<{ Body: Record<string, unknown> }>(`${base}/domains`, {
    config: config('admin.createDomain'),
    schema: {
      tags,
      summary: 'Create a domain (owners with jku and an inline jwks, or fetched from their jku)',
      body: { type: 'object', required: ['key'], properties: { key: str } },
      response: responses(domainSummary),
    },
    handler: async (request) => {
      for (const [i, o] of ((request.body.owners as unknown[] | undefined) ?? []).entries()) {
        if (typeof o === 'object' && o !== null && 'jwksFile' in o)
          throw new AdministrationError(`owners[${i}].jwksFile is not accepted over the API: give jwks inline`);
      }
      const definition = validateDomainConfig(request.body, 'domain', '/');
      if (domains.has(definition.key)) throw new AdministrationError(`domain ${definition.key} exists already`);
      await domains.createOrUpdate(definition);
      return summary(definition.key);
    },
  });

  app.post<{ Params: { domainKey: string } }>(`${base}/domains/:domainKey/rotateTransitKey`, {
    config: config('admin.rotateTransitKey'),
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
  });

  app.post<{ Params: { domainKey: string } }>(`${base}/domains/:domainKey/owner-jwks/refresh`, {
    config: config('admin.refreshOwnerJwks'),
    schema: {
      tags,
      summary: "Read the owners' JWKS again now; secretKeys are encrypted to the keys read (no key material)",
      params: domainParams,
      response: responses({
        type: 'object',
        properties: {
          domain: str,
          owners: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                jku: str,
                source: { type: 'string', enum: ['fetched', 'file', 'inline'] },
                kids: strings,
                changed: { type: 'boolean' },
                error: str,
              },
            },
          },
        },
      }),
    },
    handler: async (request) => ownerJwks.refresh(request.params.domainKey),
  });

  app.get<{ Querystring: { domain?: string } }>(`${base}/accessGrants`, {
    config: config('admin.listAccessGrants'),
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
    handler: async (request) => {
      const only = request.query.domain;
      const keys = only === undefined ? domains.keys() : [only];
      const effective: Record<string, object> = {};
      for (const key of keys) effective[key] = await access.effectiveRule(key);
      const grants = await admin.listGrants(only);
      return {
        grants: grants.map((g) => ({ domain: g.domainKey, operation: g.operation, subject: g.subject })),
        effective,
      };
    },
  });

  app.post<{ Body: { domain: string; operation: string; subject: string } }>(`${base}/accessGrants`, {
    config: config('admin.grantAccess'),
    schema: {
      tags,
      summary: 'Grant an operation on a domain',
      body: grantInput,
      response: responses(changed('added')),
    },
    handler: async (request) => ({ added: await admin.grant(request.body) }),
  });

  app.post<{ Body: { domain: string; operation: string; subject: string } }>(`${base}/accessGrants/revoke`, {
    config: config('admin.revokeAccess'),
    schema: { tags, summary: 'Remove a grant', body: grantInput, response: responses(changed('removed')) },
    handler: async (request) => ({ removed: await admin.revokeGrant(request.body) }),
  });

  app.get(`${base}/principals`, {
    config: config('admin.listPrincipals'),
    schema: {
      tags,
      summary: 'Registered and revoked principals',
      response: responses({ type: 'object', properties: { principals: { type: 'array', items: principalSchema } } }),
    },
    handler: async () => ({ principals: (await admin.listPrincipals()).map(principalOut) }),
  });

  app.post<{ Body: { id: string; description?: string; groups?: string[] } }>(`${base}/principals`, {
    config: config('admin.savePrincipal'),
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
  });

  const idBody = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: str } } as const;
  app.post<{ Body: { id: string } }>(`${base}/principals/revoke`, {
    config: config('admin.revokePrincipal'),
    schema: {
      tags,
      summary: 'Revoke a principal (refused from its next request)',
      body: idBody,
      response: responses(changed('revoked')),
    },
    handler: async (request) => ({ revoked: await admin.revokePrincipal(request.body.id) }),
  });

  app.post<{ Body: { id: string } }>(`${base}/principals/reinstate`, {
    config: config('admin.reinstatePrincipal'),
    schema: {
      tags,
      summary: 'Let a revoked principal act again',
      body: idBody,
      response: responses(changed('reinstated')),
    },
    handler: async (request) => ({ reinstated: await admin.reinstatePrincipal(request.body.id) }),
  });

  app.post<{ Body: { fingerprint: string } }>(`${base}/certificates/revoke`, {
    config: config('admin.revokeCertificate'),
    schema: {
      tags,
      summary: 'Revoke a client certificate by its SHA-256 fingerprint',
      body: {
        type: 'object',
        required: ['fingerprint'],
        additionalProperties: false,
        properties: { fingerprint: str },
      },
      response: responses(changed('revoked')),
    },
    handler: async (request) => ({ revoked: await admin.revokeCertificate(request.body.fingerprint) }),
  });
}
