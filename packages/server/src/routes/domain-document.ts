/**
 * `GET /pseudo/v1/domains/{domainKey}`: the domain document, for any authenticated principal.
 * Its `accessRule` is the effective one (configured plus granted); its `secretKeys` are given to
 * the domain's owners (readSecretKeys) only, an empty array to everyone else.
 */
import { type AccessControl, ruleAllows } from '../access-rules.js';
import type { DomainRegistry } from '../domains.js';
import { principalOf } from '../request-security.js';
import { domainParams, responses } from '../schemas.js';
import { type Route, route } from './route-table.js';

export function domainDocumentRoutes(options: { domains: DomainRegistry; access: AccessControl }): Route[] {
  const { domains, access } = options;
  const getDomain = route<{ Params: { domainKey: string } }>({
    method: 'GET',
    url: '/pseudo/v1/domains/:domainKey',
    operation: 'getDomain',
    access: 'authenticated',
    schema: {
      operationId: 'getDomain',
      summary: 'The domain document: audience, bufferSize, timeToLiveInTransit, secret keys for the owners',
      tags: ['domains'],
      params: domainParams,
      response: responses({ $ref: 'DomainDocument#' }),
    },
    handler: async (request) => {
      const key = request.params.domainKey;
      domains.get(key); // 404 before reading the grants of a domain that does not exist
      const accessRule = await access.effectiveRule(key);
      const owner = ruleAllows(accessRule, principalOf(request), 'readSecretKeys');
      return domains.document(key, { accessRule, secretKeys: owner });
    },
  });
  return [getDomain];
}
