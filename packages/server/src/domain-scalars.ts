/**
 * Where the domain scalars are held, and multiplication by them. A domain's scalar k_D is drawn
 * once (the key ceremony of domain creation) and stored in the form its key store keeps:
 *
 * - software: wrapped under the master key in the database; opened into process memory with its
 *   inverse, and every operation folds all its scalars into one multiplication
 *   (`k·s⁻¹ mod n`), as before.
 * - pkcs11 (keystore/pkcs11-scalars.ts): k and k⁻¹ are token objects; the database keeps only a
 *   reference. Every domain factor is one derive in the token, the request's own scalar one
 *   software multiplication.
 */
import {
  SCALAR_BYTES,
  type Point,
  type ScalarMultiplier,
  N,
  bigintToBytes,
  bytesToBigint,
  invertScalar,
  randomScalar,
} from '@blindpseudo/core';
import type { KeyWrap } from './key-wrap.js';

/** An opened domain scalar. Opaque: its key store alone can use it; never serialised. */
export interface DomainScalar {
  readonly domainKey: string;
}

/** One domain factor of a multiplication: k_D, or k_D⁻¹ with `inverse`. */
export interface ScalarFactor {
  readonly scalar: DomainScalar;
  readonly inverse: boolean;
}

export interface DomainScalarStore {
  readonly kind: 'software' | 'pkcs11';
  /** The key ceremony: draws a new domain scalar and returns its stored form. */
  create(domainKey: string): string;
  /** Opens a stored domain scalar (checks it belongs to the domain). */
  open(domainKey: string, stored: string): DomainScalar;
  /** (Π factors) · extra · point; `multiplier` does the software part. */
  multiply(point: Point, factors: readonly ScalarFactor[], extra: bigint, multiplier: ScalarMultiplier): Promise<Point>;
}

export const scalarWrapContext = (domainKey: string): string => `domain-scalar:${domainKey}`;

/** The software store's scalars, out of reach of everything but this module. */
const opened = new WeakMap<DomainScalar, { readonly k: bigint; readonly inverse: bigint }>();

/** Domain scalars wrapped under the master key (the embedded default). */
export class SoftwareDomainScalars implements DomainScalarStore {
  readonly kind = 'software';
  readonly #wrapper: KeyWrap;

  constructor(wrapper: KeyWrap) {
    this.#wrapper = wrapper;
  }

  create(domainKey: string): string {
    const bytes = bigintToBytes(randomScalar(), SCALAR_BYTES);
    try {
      return this.#wrapper.wrap(bytes, scalarWrapContext(domainKey)).toString('base64');
    } finally {
      bytes.fill(0);
    }
  }

  open(domainKey: string, stored: string): DomainScalar {
    const k = bytesToBigint(this.#wrapper.unwrap(Buffer.from(stored, 'base64'), scalarWrapContext(domainKey)));
    const scalar: DomainScalar = Object.freeze({ domainKey });
    opened.set(scalar, Object.freeze({ k, inverse: invertScalar(k) }));
    return scalar;
  }

  /** The scalar itself, for moving it into another key store (migrate-to-hsm) only. */
  reveal(scalar: DomainScalar): bigint {
    const keys = opened.get(scalar);
    if (keys === undefined) throw new TypeError('not a software domain scalar');
    return keys.k;
  }

  async multiply(
    point: Point,
    factors: readonly ScalarFactor[],
    extra: bigint,
    multiplier: ScalarMultiplier,
  ): Promise<Point> {
    let folded = extra % N;
    for (const f of factors) {
      const keys = opened.get(f.scalar);
      if (keys === undefined) throw new TypeError('not a software domain scalar');
      folded = (folded * (f.inverse ? keys.inverse : keys.k)) % N;
    }
    return multiplier.multiply(point, folded);
  }
}
