/**
 * Typed errors of the owner SDK. Bad data from outside (a domain document, a wrapped key, an
 * owner-scalar file) throws an {@link OwnerError} with a stable `code`; transitInfo problems keep
 * core's `PseudoError` codes (`ERR_PSEUDO_TRANSIT_INFO_…`) and service problems the client's
 * `ClientError` codes; misuse by the caller throws `TypeError` / `RangeError`. Messages never
 * contain keys, values, points, scalars or transitInfo payloads.
 */
import { CodedError } from '@blindpseudo/core';

export const OwnerErrorCodes = {
  /** The domain document does not list this owner's JWKS URL in `jku`, or no secret key has a recipient for it. */
  NOT_A_RECIPIENT: 'ERR_OWNER_NOT_A_RECIPIENT',
  /** A recipient for this owner names a key (`kid`) this owner does not hold. */
  UNKNOWN_OWNER_KEY: 'ERR_OWNER_UNKNOWN_OWNER_KEY',
  /** A wrapped secret key could not be decrypted (tampered, or wrapped for another key). */
  KEY_UNWRAP_FAILED: 'ERR_OWNER_KEY_UNWRAP_FAILED',
  /** A secret key or the domain document's key list is malformed. */
  INVALID_SECRET_KEY: 'ERR_OWNER_INVALID_SECRET_KEY',
  /** The domain has no active secret key this owner can use: no transit can be made. */
  NO_ACTIVE_KEY: 'ERR_OWNER_NO_ACTIVE_KEY',
  /** An owner's private key (file or value) cannot be read or used: the message says what was found. */
  INVALID_OWNER_KEY: 'ERR_OWNER_INVALID_OWNER_KEY',
  /** An owner-scalar key file is malformed. */
  INVALID_OWNER_SCALAR: 'ERR_OWNER_INVALID_OWNER_SCALAR',
  /** Single use was required but the transitInfo carries no `jti` (a non-empty string of at most 256 characters). */
  TRANSIT_WITHOUT_JTI: 'ERR_OWNER_TRANSIT_WITHOUT_JTI',
  /** Single use was required and this transit (its `jti`) was accepted before: a replay. */
  TRANSIT_REPLAYED: 'ERR_OWNER_TRANSIT_REPLAYED',
  /** The in-memory replay store is full of identifiers that are all still valid. */
  REPLAY_STORE_FULL: 'ERR_OWNER_REPLAY_STORE_FULL',
} as const;

export type OwnerErrorCode = (typeof OwnerErrorCodes)[keyof typeof OwnerErrorCodes];

/** The errors the owner SDK throws for bad data, with the codes of {@link OwnerErrorCodes}. */
export class OwnerError extends CodedError<OwnerErrorCode> {}

/** True when `err` is an {@link OwnerError}, optionally of the given code. */
export function isOwnerError(err: unknown, code?: OwnerErrorCode): err is OwnerError {
  return err instanceof OwnerError && (code === undefined || err.code === code);
}
