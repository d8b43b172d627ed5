/**
 * Scalars mod n: drawing them, inverting them, and the Base64 form that transitInfo carries.
 *
 * Random scalars come from `globalThis.crypto.getRandomValues` (a CSPRNG in browsers and Node)
 * by rejection sampling, so they are uniform in [2, n−1] with no modulo bias.
 */
import { invert } from '@noble/curves/abstract/modular.js';
import { concatBytes } from '@noble/curves/utils.js';
import { assertBigint, assertString } from './assert.js';
import { bigintToMinimalBytes, bytesToBigint, fromBase64, toBase64 } from './bytes.js';
import { N } from './curve.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { SCALAR_BYTES } from './protocol.js';

// n has 521 bits: the top byte of a 66-byte draw keeps only its lowest bit.
const TOP_MASK = 0x01;

/** Throws RangeError unless 1 ≤ k < n (caller misuse). */
export function assertScalar(k: bigint, label = 'scalar'): void {
  assertBigint(k, label);
  if (k < 1n || k >= N) throw new RangeError(`${label} must be in [1, n-1]`);
}

/** A uniformly random scalar in [2, n−1]. */
export function randomScalar(): bigint {
  return randomScalars(1)[0]!;
}

/**
 * `count` uniformly random scalars in [2, n−1], from one call to the random source for all of
 * them (a draw out of range, with odds of about 2⁻²⁶⁰, is drawn again); the bytes are then wiped.
 */
function randomScalars(count: number): bigint[] {
  const out: bigint[] = [];
  const buf = new Uint8Array(SCALAR_BYTES * count);
  while (out.length < count) {
    globalThis.crypto.getRandomValues(buf);
    for (let at = 0; at < buf.length && out.length < count; at += SCALAR_BYTES) {
      const draw = buf.subarray(at, at + SCALAR_BYTES);
      draw[0]! &= TOP_MASK;
      const k = bytesToBigint(draw);
      if (k >= 2n && k < N) out.push(k);
    }
    buf.fill(0);
  }
  return out;
}

/** A blinding scalar with its inverse mod n. */
export interface ScalarPair {
  readonly scalar: bigint;
  readonly inverse: bigint;
}

// Pairs drawn ahead, inverted together: one inversion and three products mod n per pair instead
// of an inversion each. Each pair is handed out once, then forgotten.
const PAIRS_PER_DRAW = 32;
let pairs: ScalarPair[] = [];

/**
 * Inverts every scalar with one inversion (Montgomery's trick): with prefix products
 * pᵢ = k₀·…·kᵢ₋₁, kᵢ⁻¹ = pᵢ · (k₀·…·kᵢ)⁻¹, walking down from the inverse of the whole product.
 */
export function pairWithInverses(scalars: readonly bigint[]): ScalarPair[] {
  const prefix = new Array<bigint>(scalars.length);
  let product = 1n;
  scalars.forEach((k, i) => {
    assertScalar(k);
    prefix[i] = product;
    product = (product * k) % N;
  });
  let inverse = invert(product, N); // of k₀·…·kᵢ as i walks down
  const out = new Array<ScalarPair>(scalars.length);
  for (let i = scalars.length - 1; i >= 0; i--) {
    const k = scalars[i]!;
    out[i] = Object.freeze({ scalar: k, inverse: (inverse * prefix[i]!) % N });
    inverse = (inverse * k) % N;
  }
  return out;
}

/** A fresh uniformly random scalar in [2, n−1] with its inverse (never handed out twice). */
export function randomScalarPair(): ScalarPair {
  if (pairs.length === 0) pairs = pairWithInverses(randomScalars(PAIRS_PER_DRAW));
  return pairs.pop()!;
}

/** k⁻¹ mod n (`@noble/curves`'s extended Euclidean inversion). */
export function invertScalar(k: bigint): bigint {
  assertScalar(k);
  return invert(k, N);
}

/** a·b mod n. */
export function multiplyScalars(a: bigint, b: bigint): bigint {
  assertScalar(a, 'a');
  assertScalar(b, 'b');
  return (a * b) % N;
}

/**
 * The transitInfo form of a scalar: standard Base64 of its big-endian two's-complement bytes,
 * i.e. minimal bytes with a leading 0x00 when the top bit of the first byte is set (Java's
 * `BigInteger.toByteArray`).
 */
export function scalarToTransitBase64(k: bigint): string {
  assertScalar(k);
  const bytes = bigintToMinimalBytes(k);
  return toBase64(bytes[0]! & 0x80 ? concatBytes(new Uint8Array([0]), bytes) : bytes);
}

/**
 * Reads a scalar from standard Base64, as an unsigned big-endian integer (so both the
 * two's-complement form and a plain unsigned form are read alike). Throws
 * `ERR_PSEUDO_INVALID_SCALAR` when it is not in [1, n−1] or longer than 67 bytes.
 */
export function scalarFromTransitBase64(text: string): bigint {
  assertString(text, 'scalar');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text, 'scalar');
  } catch {
    throw new PseudoError(ErrorCodes.INVALID_SCALAR, 'scalar is not valid Base64');
  }
  if (bytes.length === 0 || bytes.length > SCALAR_BYTES + 1) {
    throw new PseudoError(ErrorCodes.INVALID_SCALAR, 'scalar has a wrong length');
  }
  const k = bytesToBigint(bytes);
  if (k < 1n || k >= N) throw new PseudoError(ErrorCodes.INVALID_SCALAR, 'scalar is out of range');
  return k;
}
