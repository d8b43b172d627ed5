/** `GET /pseudo/v1/domains/{domainKey}`: the domain document. */
import type { FastifyInstance } from 'fastify';
import type { DomainRegistry } from '../domains.js';
import { domainParams, responses } from '../schemas.js';

export async function domainDocumentRoutes(app: FastifyInstance, options: { domains: DomainRegistry }): Promise<void> {
  const { domains } = options;
  app.get<{ Params: { domainKey: string } }>('/pseudo/v1/domains/:domainKey', {
    config: { operation: 'getDomain' },
    schema: {
      operationId: 'getDomain',
      summary: 'The domain document: audience, bufferSize, timeToLiveInTransit, secret keys for the owners',
      tags: ['domains'],
      params: domainParams,
      response: responses({ $ref: 'DomainDocument#' }),
    },
    handler: async (request) => domains.document(request.params.domainKey),
  });
}
