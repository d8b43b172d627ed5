/**
 * JSON schemas of the API: requests are validated against them, responses are serialised with
 * them (only declared fields leave the service), and the OpenAPI document is generated from them.
 */
import { CURVE_NAME, MAX_ITEMS_PER_CALL } from '@blindpseudo/core';
import { type Static, Type } from '@sinclair/typebox';
import { ACCESS_RULE_OPERATIONS } from './config.js';
import { REQUEST_ID_SCHEMA } from './request-id.js';

export const MAX_INPUTS = MAX_ITEMS_PER_CALL;

const coordinate = Type.String({
  minLength: 1,
  maxLength: 88,
  description: 'Standard Base64 of the big-endian coordinate (66 bytes in responses; 1 to 66 accepted)',
});

const id = Type.Unsafe<string>(REQUEST_ID_SCHEMA);
const transitInfo = Type.String({ minLength: 1, maxLength: 8192, description: 'Compact JWE hiding the scalar s' });
const crv = Type.Unsafe<typeof CURVE_NAME>({ type: 'string', enum: [CURVE_NAME] });
const seconds = { type: 'integer', description: 'Seconds since the epoch' } as const;

export const domainKeyParam = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  description: 'Domain key, e.g. uhmep_v1',
} as const;

export const domainParams = {
  type: 'object',
  required: ['domainKey'],
  properties: { domainKey: domainKeyParam },
} as const;

export const convertParams = {
  type: 'object',
  required: ['domainKey', 'toDomainKey'],
  properties: { domainKey: domainKeyParam, toDomainKey: domainKeyParam },
} as const;

/** `{id, crv, x, y}`: a blinded point r·X. */
export const pseudonymizeRequest = Type.Object(
  { id: Type.Optional(id), crv, x: coordinate, y: coordinate },
  { $id: 'PseudonymizeRequest' },
);
export type PseudonymizeRequest = Static<typeof pseudonymizeRequest>;

/** `{id, crv, x, y, transitInfo}`: a blinded pseudonym in transit. */
export const identifyRequest = Type.Object(
  { id: Type.Optional(id), crv, x: coordinate, y: coordinate, transitInfo },
  { $id: 'IdentifyRequest' },
);
export type IdentifyRequest = Static<typeof identifyRequest>;

/** Like identify; without transitInfo the point is a blinded pseudonym at rest of `from`. */
export const convertRequest = Type.Object(
  { id: Type.Optional(id), crv, x: coordinate, y: coordinate, transitInfo: Type.Optional(transitInfo) },
  { $id: 'ConvertRequest' },
);
export type ConvertRequest = Static<typeof convertRequest>;

/** `{inputs: [...]}` with 1 to 10 items; an item may also be a JSON string holding the object. */
export const multipleRequest = Type.Object(
  {
    id: Type.Optional(id),
    // Any item is accepted here and checked on its own: one bad item does not fail the others.
    inputs: Type.Array(
      Type.Unknown({ description: 'A single-call body, as an object or as a JSON string holding it' }),
      {
        minItems: 1,
        maxItems: MAX_INPUTS,
      },
    ),
  },
  { $id: 'MultipleRequest' },
);
export type MultipleRequest = Static<typeof multipleRequest>;

const transitResultProperties = {
  id,
  inResponseTo: id,
  domain: { type: 'string', description: 'The domain the result belongs to' },
  crv,
  iat: seconds,
  exp: seconds,
  x: coordinate,
  y: coordinate,
  transitInfo,
} as const;

export const transitResult = {
  $id: 'TransitResult',
  type: 'object',
  required: ['id', 'domain', 'crv', 'iat', 'exp', 'x', 'y', 'transitInfo'],
  properties: transitResultProperties,
} as const;

export const identifyResult = {
  $id: 'IdentifyResult',
  type: 'object',
  required: ['id', 'domain', 'crv', 'x', 'y'],
  properties: { id, inResponseTo: id, domain: transitResultProperties.domain, crv, x: coordinate, y: coordinate },
} as const;

const problemProperties = {
  type: { type: 'string' },
  title: { type: 'string' },
  status: { type: 'integer' },
  detail: { type: 'string' },
  inResponseTo: id,
} as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: problemProperties,
} as const;

/** One output of a `*Multiple` call: a result or a problem (declared flat for serialisation). */
export const multipleResult = {
  $id: 'MultipleResult',
  type: 'object',
  required: ['outputs'],
  properties: {
    id,
    inResponseTo: id,
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        description: 'A result (with x and y) or a problem (with type, title, status, detail)',
        properties: { ...transitResultProperties, ...problemProperties, inResponseTo: id },
      },
    },
  },
} as const;

const jweRecipient = {
  type: 'object',
  properties: {
    header: {
      type: 'object',
      properties: { alg: { type: 'string' }, kid: { type: 'string' }, jku: { type: 'string' } },
    },
    encrypted_key: { type: 'string' },
  },
} as const;

export const domainDocument = {
  $id: 'DomainDocument',
  type: 'object',
  required: [
    'domain',
    'desc',
    'crv',
    'audience',
    'bufferSize',
    'timeToLiveInTransit',
    'secretKeys',
    'jku',
    'accessRule',
  ],
  properties: {
    domain: { type: 'string' },
    desc: { type: 'string' },
    crv,
    audience: { type: 'string', description: "The aud of this domain's transitInfo" },
    bufferSize: { type: 'integer' },
    timeToLiveInTransit: { type: 'string', description: 'ISO-8601 duration PnDTnHnMnS' },
    secretKeys: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kid: { type: 'string' },
          active: { type: 'boolean' },
          encoded: {
            type: 'object',
            description: 'JWE general JSON serialization of the transit key (a JWK)',
            properties: {
              protected: { type: 'string' },
              aad: { type: 'string' },
              iv: { type: 'string' },
              ciphertext: { type: 'string' },
              tag: { type: 'string' },
              recipients: { type: 'array', items: jweRecipient },
            },
          },
        },
      },
    },
    jku: { type: 'array', items: { type: 'string' } },
    accessRule: {
      type: 'object',
      properties: Object.fromEntries(
        ACCESS_RULE_OPERATIONS.map((op) => [op, { type: 'array', items: { type: 'string' } }]),
      ),
    },
    transitPolicy: {
      type: 'object',
      description:
        'blindpseudo extension: bindSubject (transitInfo carries the caller as sub) and singleUse (a jti; the service identifies or converts each transit once, owners accept it once; clients must not reuse such transits)',
      properties: { bindSubject: { type: 'boolean' }, singleUse: { type: 'boolean' } },
    },
  },
} as const;

/** Response schemas shared by every API route: the result for 200, problems otherwise. */
export function responses(ok: object): Record<string, object> {
  return { 200: ok, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } };
}

/** Schemas registered once with `addSchema` (referenced by `$id`). */
export const SHARED_SCHEMAS = [
  problemSchema,
  pseudonymizeRequest,
  identifyRequest,
  convertRequest,
  multipleRequest,
  transitResult,
  identifyResult,
  multipleResult,
  domainDocument,
];
