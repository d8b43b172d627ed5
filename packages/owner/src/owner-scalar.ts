/**
 * The owner scalar k_o of double pseudonymisation (PROTOCOL.md, "Optional double
 * pseudonymisation"): a secret scalar the service never sees, so that what the owner stores,
 * k_o·k_d·X, cannot be linked by the service alone to its own pseudonyms k_d·X.
 *
 * Key file (JSON, keep it as secret as a private key, and never lose it: without it the stored
 * pseudonyms can no longer be turned into transits):
 *
 *     { "kty": "blindpseudo-owner-scalar", "crv": "P-521", "d": "<base64url of 66 bytes>" }
 *
 * `d` is the scalar, big-endian, left-padded to 66 bytes, in [2, n−1].
 */
import {
  COORDINATE_BYTES,
  N,
  bigintToBytes,
  bytesToBigint,
  fromBase64Url,
  randomScalar,
  toBase64Url,
} from '@blindpseudo/core';
import { OwnerError, OwnerErrorCodes } from './errors.js';

export const OWNER_SCALAR_KTY = 'blindpseudo-owner-scalar';

export interface OwnerScalarFile {
  readonly kty: typeof OWNER_SCALAR_KTY;
  readonly crv: 'P-521';
  readonly d: string;
}

function invalid(why: string): never {
  throw new OwnerError(OwnerErrorCodes.INVALID_OWNER_SCALAR, `invalid owner scalar: ${why}`);
}

/** The key file of a scalar. */
export function formatOwnerScalar(scalar: bigint): OwnerScalarFile {
  if (typeof scalar !== 'bigint') throw new TypeError('scalar must be a bigint');
  if (scalar < 2n || scalar >= N) throw new RangeError('scalar must be in [2, n-1]');
  return Object.freeze({
    kty: OWNER_SCALAR_KTY,
    crv: 'P-521',
    d: toBase64Url(bigintToBytes(scalar, COORDINATE_BYTES)),
  });
}

/** A fresh key file (a uniformly random scalar from the platform CSPRNG), as JSON text. */
export function generateOwnerScalar(): string {
  return `${JSON.stringify(formatOwnerScalar(randomScalar()), null, 2)}\n`;
}

/** Reads a key file (JSON text or the parsed object); throws `ERR_OWNER_INVALID_OWNER_SCALAR`. */
export function parseOwnerScalar(file: string | OwnerScalarFile): bigint {
  let json: unknown = file;
  if (typeof file === 'string') {
    try {
      json = JSON.parse(file);
    } catch {
      invalid('not JSON');
    }
  } else if (typeof file !== 'object' || file === null) {
    throw new TypeError('owner scalar must be JSON text or an object');
  }
  if (typeof json !== 'object' || json === null) invalid('not an object');
  const { kty, crv, d } = json as Record<string, unknown>;
  if (kty !== OWNER_SCALAR_KTY) invalid(`kty must be ${OWNER_SCALAR_KTY}`);
  if (crv !== 'P-521') invalid('crv must be P-521');
  if (typeof d !== 'string') invalid('d is missing');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(d, 'd');
  } catch {
    invalid('d is not Base64url');
  }
  if (bytes.length !== COORDINATE_BYTES) invalid('d must be 66 bytes');
  const scalar = bytesToBigint(bytes);
  bytes.fill(0);
  if (scalar < 2n || scalar >= N) invalid('d is out of range');
  return scalar;
}
