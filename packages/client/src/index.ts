/**
 * @blindpseudo/client — the caller's side of the eHealth blind pseudonymisation protocol over
 * `fetch`, for browsers and Node: blind, call, unblind; lists, caching, failover, retries.
 */
export { PseudonymisationClient, createClient } from './client.js';
export type { CallOptions, ClientCacheOptions, ClientOptions, GetDomainOptions } from './options.js';
export { type PseudonymInTransitResult, type TransitInput, toPseudonymInTransit } from './transit-input.js';
export type { ItemResult } from './batch.js';
export {
  type ClientErrorCode,
  type ClientErrorDetails,
  type Problem,
  ClientError,
  ClientErrorCodes,
  isClientError,
} from './errors.js';
export type { FetchFunction, TokenProvider } from './transport.js';
export { type SealFieldOptions, type SealedField, openField, openFieldText, sealField } from './encrypted-field.js';
export { formatSsin, isSsinBornFrom2000, isValidSsin, normalizeSsin } from './ssin.js';
export {
  type DomainDocument,
  type DomainSecretKey,
  type PseudonymInTransit,
  MAX_ITEMS_PER_CALL,
  TRANSIT_REUSE_MARGIN_SECONDS,
  PseudoError,
  ErrorCodes,
  isPseudoError,
  formatPseudonymInTransit,
  parsePseudonymInTransit,
  formatFhirPseudonym,
  parseFhirPseudonym,
  type ScalarMultiplier,
  nobleMultiplier,
  webCryptoMultiplier,
  webCryptoOrNobleMultiplier,
} from '@blindpseudo/core';
