/**
 * Domain scalars in a PKCS#11 token (see pkcs11-objects.ts for the objects).
 *
 * Multiplying by k in the token: CKM_ECDH1_DERIVE with the point as the "public data" and no KDF
 * (CKD_NULL) yields the x coordinate of k·P as a 66-byte generic secret, read back and destroyed
 * at once (a session object, never stored). y is recovered by a square root (p ≡ 3 mod 4); the
 * root may be the other one, −k·P, which the protocol allows: every x it uses is independent of
 * the sign of y. The request's own scalar (s, s⁻¹, fresh per request) is multiplied in software.
 *
 * The key ceremony (create): k is drawn in process memory, k⁻¹ computed, both imported, and the
 * bytes overwritten; from then on only the token holds them. The database keeps `pkcs11:<CKA_ID>`.
 */
import {
  type Point,
  type ScalarMultiplier,
  invertScalar,
  pointFromX,
  pointToSec1Bytes,
  randomScalar,
} from '@blindpseudo/core';
import type { DomainScalar, DomainScalarStore, ScalarFactor } from '../domain-scalars.js';
import { MasterKeyError } from '../errors.js';
import type { ECDH1 as EcdhParams } from 'pkcs11js';
import { pkcs11js } from './pkcs11-module.js';
import { type ScalarRole, domainScalarLabel, importDomainScalar, newObjectId } from './pkcs11-objects.js';
import type { Pkcs11Token } from './pkcs11-token.js';

const REFERENCE_PREFIX = 'pkcs11:';
const COORDINATE_BYTES = 66;

interface TokenScalar extends DomainScalar {
  readonly id: Buffer;
}

const isTokenScalar = (s: DomainScalar): s is TokenScalar => Buffer.isBuffer((s as TokenScalar).id);

/** x of k·point, by the token (k is the object with this label and CKA_ID). */
export async function deriveX(
  token: Pkcs11Token,
  label: string,
  id: Buffer | undefined,
  point: Point,
): Promise<bigint> {
  const pk = pkcs11js();
  const key = token.handle(label, id);
  const parameter: EcdhParams = {
    type: pk.CK_PARAMS_EC_DH,
    kdf: pk.CKD_NULL,
    publicData: Buffer.from(pointToSec1Bytes(point)),
  };
  return token.withSession(async (lib, session) => {
    const secret = await lib.C_DeriveKeyAsync(session, { mechanism: pk.CKM_ECDH1_DERIVE, parameter }, key, [
      { type: pk.CKA_CLASS, value: pk.CKO_SECRET_KEY },
      { type: pk.CKA_KEY_TYPE, value: pk.CKK_GENERIC_SECRET },
      { type: pk.CKA_TOKEN, value: false },
      { type: pk.CKA_SENSITIVE, value: false },
      { type: pk.CKA_EXTRACTABLE, value: true },
      { type: pk.CKA_VALUE_LEN, value: COORDINATE_BYTES },
    ]);
    try {
      const [value] = lib.C_GetAttributeValue(session, secret, [{ type: pk.CKA_VALUE }]);
      return BigInt(`0x${(value!.value as Buffer).toString('hex')}`);
    } finally {
      lib.C_DestroyObject(session, secret);
    }
  });
}

/** k·point by the token, with y recovered (either root). */
export async function tokenMultiply(
  token: Pkcs11Token,
  label: string,
  id: Buffer | undefined,
  point: Point,
): Promise<Point> {
  return pointFromX(await deriveX(token, label, id, point));
}

export class Pkcs11DomainScalars implements DomainScalarStore {
  readonly kind = 'pkcs11';
  readonly #token: Pkcs11Token;

  constructor(token: Pkcs11Token) {
    this.#token = token;
  }

  /** Imports a known scalar and its inverse (the ceremony's second half; migrate-to-hsm's move). */
  importScalar(domainKey: string, k: bigint): string {
    const id = newObjectId();
    importDomainScalar(this.#token, domainScalarLabel(domainKey, 'k'), id, k);
    importDomainScalar(this.#token, domainScalarLabel(domainKey, 'k-inverse'), id, invertScalar(k));
    return `${REFERENCE_PREFIX}${id.toString('hex')}`;
  }

  create(domainKey: string): string {
    return this.importScalar(domainKey, randomScalar());
  }

  open(domainKey: string, stored: string): DomainScalar {
    if (!stored.startsWith(REFERENCE_PREFIX))
      throw new MasterKeyError(
        `domain ${domainKey}: its scalar is a software key (run blindpseudo keys migrate-to-hsm)`,
      );
    const id = Buffer.from(stored.slice(REFERENCE_PREFIX.length), 'hex');
    // Both objects must exist under this domain's labels: a reference copied from another
    // domain's row finds nothing.
    for (const role of ['k', 'k-inverse'] as ScalarRole[]) this.#token.handle(domainScalarLabel(domainKey, role), id);
    return Object.freeze({ domainKey, id });
  }

  async multiply(
    point: Point,
    factors: readonly ScalarFactor[],
    extra: bigint,
    multiplier: ScalarMultiplier,
  ): Promise<Point> {
    let result = extra === 1n ? point : await multiplier.multiply(point, extra);
    for (const f of factors) {
      if (!isTokenScalar(f.scalar)) throw new TypeError('not a token domain scalar');
      const label = domainScalarLabel(f.scalar.domainKey, f.inverse ? 'k-inverse' : 'k');
      result = await tokenMultiply(this.#token, label, f.scalar.id, result);
    }
    return result;
  }
}
