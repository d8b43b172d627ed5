/**
 * @blindpseudo/owner — the owner's side of the eHealth blind pseudonymisation protocol: domain
 * documents and their secret keys, pseudonyms at rest and in transit, convert, double
 * pseudonymisation. Node, and browsers where WebCrypto allows.
 */
export { type AtRestOptions, type ConvertToOptions, type InTransitOptions, type OwnerOptions, Owner } from './owner.js';
export type { OwnerDomain } from './owner-domains.js';
export { type OwnerErrorCode, OwnerError, OwnerErrorCodes, isOwnerError } from './errors.js';
export {
  type Jwks,
  type KeyObjectLike,
  type OwnerKey,
  type OwnerKeyInput,
  type OwnerPrivateKey,
  type PublishedKey,
  buildJwks,
  loadOwnerKey,
} from './owner-keys.js';
export { unwrapSecretKeys } from './secret-keys.js';
export { type TransitKey, KEY_ENCRYPTION_ALG } from '@blindpseudo/core';
export {
  type OwnerScalarFile,
  OWNER_SCALAR_KTY,
  formatOwnerScalar,
  generateOwnerScalar,
  parseOwnerScalar,
} from './owner-scalar.js';
export { PseudonymAtRest } from './pseudonym-at-rest.js';
export { type MemoryReplayStoreOptions, type ReplayStore, MemoryReplayStore } from './replay-store.js';
