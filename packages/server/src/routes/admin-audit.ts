/**
 * The audit log over the admin API, for the operator console: search with filters and paging
 * (`GET /admin/v1/audit`), verification of the hash chain naming where it breaks
 * (`GET /admin/v1/audit/verify`), and export of the matching records as NDJSON with their hashes
 * (`GET /admin/v1/audit/export`). Records hold no values, points or transitInfo (audit.ts).
 */
import { Readable } from 'node:stream';
import { type ExportedAuditRecord, verifyAuditLog } from '../audit.js';
import { type AuditFilter, exportAudit, searchAudit } from '../audit-search.js';
import { ServiceError } from '../errors.js';
import { responses } from '../schemas.js';
import { type Route, route } from './route-table.js';
import type { Storage } from '../storage/storage.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const filterProperties = {
  from: { type: 'string', maxLength: 40, description: 'ISO-8601 date-time or ms since the epoch, inclusive' },
  to: { type: 'string', maxLength: 40, description: 'ISO-8601 date-time or ms since the epoch, exclusive' },
  principal: { type: 'string', maxLength: 300 },
  domain: { type: 'string', maxLength: 64 },
  operation: { type: 'string', maxLength: 64 },
  outcome: { type: 'string', maxLength: 64, description: 'success, failure, or an outcome (problem type name)' },
} as const;
const recordSchema = {
  type: 'object',
  properties: {
    chain: str,
    seq: int,
    time: int,
    principal: nullableStr,
    operation: str,
    domainKey: nullableStr,
    toDomainKey: nullableStr,
    items: int,
    status: int,
    outcome: str,
    requestId: str,
    callerRequestId: nullableStr,
    peer: nullableStr,
    prevHash: str,
    hash: str,
  },
} as const;
const headSchema = { type: 'object', properties: { chain: str, seq: int, hash: str } } as const;

type FilterQuery = Partial<Record<keyof typeof filterProperties, string>>;

function instant(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isSafeInteger(t))
    throw new ServiceError('ERR_SERVER_INVALID_REQUEST', `${name} must be an ISO-8601 date-time`);
  return t;
}

/** The filter of a query string; empty strings mean "any". */
export function auditFilter(q: FilterQuery): AuditFilter {
  const text = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  const filter = {
    from: instant(q.from, 'from'),
    to: instant(q.to, 'to'),
    principal: text(q.principal),
    domain: text(q.domain),
    operation: text(q.operation),
    outcome: text(q.outcome),
  };
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as AuditFilter;
}

function pageNumber(v: string | undefined, name: string, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  if (!/^\d{1,12}$/.test(v) || Number(v) > max)
    throw new ServiceError('ERR_SERVER_INVALID_REQUEST', `${name} must be an integer from 0 to ${max}`);
  return Number(v);
}

async function* ndjson(records: AsyncIterable<ExportedAuditRecord>): AsyncGenerator<string> {
  for await (const r of records) yield `${JSON.stringify(r)}\n`;
}

const tags = ['admin'];
const base = '/admin/v1/audit';
const get = { method: 'GET', access: 'admin' } as const;

/** GET /admin/v1/audit: a page of the records matching a filter. */
function searchRoute(storage: Storage): Route {
  return route<{ Querystring: FilterQuery & { after?: string; limit?: string; chain?: string } }>({
    ...get,
    url: base,
    operation: 'admin.searchAudit',
    schema: {
      tags,
      summary: 'Audit records matching a filter, a page at a time in log order (after: the seq to go on from)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { ...filterProperties, after: str, limit: str, chain: { type: 'string', maxLength: 100 } },
      },
      response: responses({
        type: 'object',
        properties: { chain: str, records: { type: 'array', items: recordSchema }, next: int, head: headSchema },
      }),
    },
    handler: async (request) => {
      const filter = auditFilter(request.query);
      const after = pageNumber(request.query.after, 'after', 0, Number.MAX_SAFE_INTEGER);
      const limit = Math.max(1, pageNumber(request.query.limit, 'limit', 50, 500));
      const chain = request.query.chain;
      return searchAudit(storage, filter, {
        after,
        limit,
        ...(chain === undefined || chain === '' ? {} : { chain }),
      });
    },
  });
}

/** GET /admin/v1/audit/verify: every chain checked. */
function verifyRoute(storage: Storage): Route {
  return route({
    ...get,
    url: `${base}/verify`,
    operation: 'admin.verifyAudit',
    schema: {
      tags,
      summary:
        'Verify every hash chain of the log; findings name the chain and the records where it breaks (head: of the only chain)',
      response: responses({
        type: 'object',
        properties: {
          ok: { type: 'boolean' },
          records: int,
          head: headSchema,
          chains: {
            type: 'array',
            items: { type: 'object', properties: { chain: str, records: int, head: headSchema } },
          },
          findings: { type: 'array', items: str },
        },
      }),
    },
    handler: async () => {
      const verification = await verifyAuditLog(storage);
      return { ...verification, head: verification.chains.length === 1 ? verification.chains[0]!.head : undefined };
    },
  });
}

/** GET /admin/v1/audit/export: the matching records as NDJSON. */
function exportRoute(storage: Storage): Route {
  return route<{ Querystring: FilterQuery }>({
    ...get,
    url: `${base}/export`,
    operation: 'admin.exportAudit',
    schema: {
      tags,
      summary: 'The records matching a filter as NDJSON, with their chain hashes',
      produces: ['application/x-ndjson'],
      querystring: { type: 'object', additionalProperties: false, properties: filterProperties },
    },
    handler: async (request, reply) => {
      const filter = auditFilter(request.query);
      reply.type('application/x-ndjson; charset=utf-8');
      reply.header('content-disposition', 'attachment; filename="audit.ndjson"');
      return reply.send(Readable.from(ndjson(exportAudit(storage, filter))));
    },
  });
}

export function adminAuditRoutes(options: { storage: Storage }): Route[] {
  return [searchRoute(options.storage), verifyRoute(options.storage), exportRoute(options.storage)];
}
