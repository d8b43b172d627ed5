/**
 * @blindpseudo/client — the caller's side of the eHealth blind pseudonymisation protocol over
 * `fetch`, for browsers and Node: blind, call, unblind; lists, caching, failover, retries.
 */
export {
  type CallOptions,
  type ClientCacheOptions,
  type ClientOptions,
  type GetDomainOptions,
  type PseudonymInTransitResult,
  type TransitInput,
  PseudonymisationClient,
  TRANSIT_REUSE_MARGIN_SECONDS,
  createClient,
  toPseudonymInTransit,
} from './client.js';
export { type ItemResult, MAX_ITEMS_PER_CALL } from './batch.js';
export { ExpiringCache } from './cache.js';
export { type DomainDocument, type DomainSecretKey, parseDomainDocument } from './domain.js';
export {
  type ClientErrorCode,
  type ClientErrorDetails,
  type Problem,
  ClientError,
  ClientErrorCodes,
  isClientError,
} from './errors.js';
export { type FetchFunction, type TokenProvider } from './transport.js';
export { type SealFieldOptions, type SealedField, openField, openFieldText, sealField } from './encrypted-field.js';
export { formatSsin, isSsinBornFrom2000, isValidSsin, normalizeSsin } from './ssin.js';
export {
  type PseudonymInTransit,
  PseudoError,
  ErrorCodes,
  isPseudoError,
  formatPseudonymInTransit,
  parsePseudonymInTransit,
  formatFhirPseudonym,
  parseFhirPseudonym,
} from '@blindpseudo/core';
