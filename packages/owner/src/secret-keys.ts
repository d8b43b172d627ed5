/**
 * The owner's side of a domain's `secretKeys`: core opens them (core/secret-keys.ts: only this
 * owner's recipient, with its private key found by `kid` or `x5t#S256`); this module gives the
 * failures the owner SDK's codes. Any failure throws: a document that names this owner but gives
 * it a key it cannot read is suspect, and is not used half-way.
 */
import {
  type DomainDocument,
  type ErrorCode,
  ErrorCodes,
  type TransitKey,
  isPseudoError,
  openSecretKeys,
} from '@blindpseudo/core';
import { OwnerError, type OwnerErrorCode, OwnerErrorCodes } from './errors.js';
import type { OwnerKey } from './owner-keys.js';

const OWNER_CODES: ReadonlyMap<ErrorCode, OwnerErrorCode> = new Map<ErrorCode, OwnerErrorCode>([
  [ErrorCodes.SECRET_KEY_NOT_A_RECIPIENT, OwnerErrorCodes.NOT_A_RECIPIENT],
  [ErrorCodes.SECRET_KEY_UNKNOWN_READER, OwnerErrorCodes.UNKNOWN_OWNER_KEY],
  [ErrorCodes.SECRET_KEY_UNWRAP_FAILED, OwnerErrorCodes.KEY_UNWRAP_FAILED],
  [ErrorCodes.SECRET_KEY_INVALID, OwnerErrorCodes.INVALID_SECRET_KEY],
]);

/**
 * Unwraps every secret key of the domain for the owner publishing its JWKS at `jku`. Throws
 * `ERR_OWNER_NOT_A_RECIPIENT`, `ERR_OWNER_UNKNOWN_OWNER_KEY`, `ERR_OWNER_KEY_UNWRAP_FAILED` or
 * `ERR_OWNER_INVALID_SECRET_KEY`.
 */
export async function unwrapSecretKeys(
  document: DomainDocument,
  jku: string,
  keys: readonly OwnerKey[],
): Promise<readonly TransitKey[]> {
  try {
    return await openSecretKeys(document, jku, keys);
  } catch (err) {
    const code = isPseudoError(err) ? OWNER_CODES.get(err.code) : undefined;
    if (code === undefined) throw err;
    const { message, cause } = err as Error;
    throw new OwnerError(code, message, cause === undefined ? undefined : { cause });
  }
}
