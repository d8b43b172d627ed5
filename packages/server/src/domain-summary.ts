/**
 * The admin summary of a domain (no key material): its definition, an access rule, its transit
 * keys. Built here only, for the admin API (with the effective rule) and the CLI on the database
 * (with the configured one); the CLI's remote mode reads the same shape back.
 */
import type { AccessRule, TransitPolicy } from './config.js';
import type { DomainRegistry } from './domains.js';

export interface DomainSummary {
  readonly domain: string;
  readonly description: string;
  readonly audience: string;
  readonly bufferSize: number;
  readonly timeToLiveInTransit: string;
  readonly jku: readonly string[];
  readonly accessRule: Readonly<Record<string, readonly string[]>>;
  readonly transitPolicy: TransitPolicy;
  readonly transitKeys: readonly { readonly kid: string; readonly active: boolean; readonly deactivatedAt?: number }[];
}

const str = { type: 'string' } as const;
const strings = { type: 'array', items: str } as const;

/** The JSON Schema of {@link DomainSummary} (responses emit only these members). */
export const DOMAIN_SUMMARY_SCHEMA = {
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

/** The summary of the domain `key` (which must exist), showing `accessRule`. */
export function domainSummary(domains: DomainRegistry, key: string, accessRule: AccessRule): DomainSummary {
  const domain = domains.get(key);
  const d = domain.definition;
  return {
    domain: key,
    description: d.description,
    audience: domain.audience,
    bufferSize: d.bufferSize,
    timeToLiveInTransit: d.timeToLiveInTransit,
    jku: d.owners.map((o) => o.jku),
    accessRule,
    transitPolicy: d.transitPolicy,
    transitKeys: domains.transitKeyStatus(key).map((k) => ({
      kid: k.kid,
      active: k.active,
      ...(k.deactivatedAt === undefined ? {} : { deactivatedAt: k.deactivatedAt }),
    })),
  };
}
