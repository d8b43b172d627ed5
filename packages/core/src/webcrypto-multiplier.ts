/**
 * A {@link ScalarMultiplier} on the platform's WebCrypto: ECDH on P-521 (W3C Web Cryptography
 * API, `deriveBits`) computes scalar·point natively and returns its x coordinate only; y is
 * recovered with a square root ({@link pointFromX}). Either root is fine: every operation of the
 * protocol keeps the x coordinate independent of the sign of y (PROTOCOL.md, "Encoding a value
 * as a point"), so the service, the owner and the value decoding never see the difference.
 *
 * The scalar becomes a non-extractable ECDH private key, imported as a JWK with its public key
 * scalar·G computed here by the fixed-base multiplication with a precomputed table (about a sixth
 * of a variable-base one in JavaScript). Browsers check that public key against the scalar on
 * import; every other import form costs them more (a PKCS#8 key without its public key: the
 * public key computed and then checked, two or three native multiplications in Chromium). The
 * point becomes a raw public key, which the platform validates again.
 *
 * Blinding needs no particular scalar, only a fresh one: there the platform generates a key pair
 * (one native fixed-base multiplication, cheaper than the JS table and the import check), and its
 * private scalar r is read back once for the unblinding (r⁻¹), so that key alone is extractable.
 *
 * Measured in headless Chromium 156 (one page, alternating runs on a loaded 2-core machine): a
 * blinding 3.3–3.9 ms, an unblinding 4.3–5.2 ms, where pure JS takes 5.5–9 ms for either; the
 * native parts are BoringSSL's generic P-521 (about 1.5 ms per multiplication, the import check
 * being one). In Node, whose bundled OpenSSL also runs generic P-521 code, WebCrypto is slower than
 * pure JS: there the pure-JS default stays (or the native multiplier is used).
 *
 * Secrets: a scalar lives only in its key object and the JWK handed to or read from the platform
 * (and, for blinding, in the caller's hands, as always); nothing holding it is kept or cached.
 * Platform failures throw `ERR_PSEUDO_MULTIPLICATION_FAILED` (or `ERR_PSEUDO_INVALID_POINT` when
 * the platform refuses the point), never a wrong point.
 */
import { bigintToBytes, bytesToBigint, fromBase64Url, toBase64Url } from './bytes.js';
import { COORDINATE_BYTES, GENERATOR, N, type Point, addPoints, pointFromX } from './curve.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { type FreshProduct, type ScalarMultiplier, multiplyPoint, nobleMultiplier } from './multiplier.js';
import { P521Point } from './p521-field.js';
import { assertScalar, randomScalar } from './scalar.js';

const ECDH_P521 = Object.freeze({ name: 'ECDH', namedCurve: 'P-521' });
const X_BITS = COORDINATE_BYTES * 8; // 528: the whole 66-byte x coordinate
const SERVICE_UNAVAILABLE = Object.freeze({ status: 503, type: 'serviceUnavailable' });

function failed(why: string, cause?: unknown): never {
  throw new PseudoError(ErrorCodes.MULTIPLICATION_FAILED, `scalar multiplication failed: ${why}`, {
    cause,
    http: SERVICE_UNAVAILABLE,
  });
}

const coordinate = (c: bigint): string => toBase64Url(bigintToBytes(c, COORDINATE_BYTES));

/** SEC1 uncompressed form of a point: 0x04 ‖ x ‖ y. */
function uncompressed(point: Point): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(1 + 2 * COORDINATE_BYTES);
  bytes[0] = 0x04;
  bytes.set(bigintToBytes(point.x, COORDINATE_BYTES), 1);
  bytes.set(bigintToBytes(point.y, COORDINATE_BYTES), 1 + COORDINATE_BYTES);
  return bytes;
}

function platformSubtle(): SubtleCrypto {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (subtle === undefined) failed('WebCrypto is not available here');
  return subtle;
}

/** The scalar as a non-extractable ECDH P-521 private key. */
async function importScalar(subtle: SubtleCrypto, scalar: bigint): Promise<CryptoKey> {
  const publicKey = P521Point.BASE.multiply(scalar).toAffine(); // scalar·G, fixed base
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-521',
    d: coordinate(scalar),
    x: coordinate(publicKey.x),
    y: coordinate(publicKey.y),
    ext: false,
  };
  try {
    return await subtle.importKey('jwk', jwk, ECDH_P521, false, ['deriveBits']);
  } catch (err) {
    return failed('the platform refused the scalar', err);
  }
}

async function importPoint(subtle: SubtleCrypto, point: Point): Promise<CryptoKey> {
  try {
    return await subtle.importKey('raw', uncompressed(point), ECDH_P521, false, []);
  } catch (err) {
    throw new PseudoError(ErrorCodes.INVALID_POINT, 'invalid point: refused by the platform', { cause: err });
  }
}

/** x of (the private key's scalar)·point by ECDH, and y by a square root (the even one). */
async function derive(subtle: SubtleCrypto, privateKey: CryptoKey, publicKey: CryptoKey): Promise<Point> {
  let bits: ArrayBuffer;
  try {
    bits = await subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, X_BITS);
  } catch (err) {
    return failed('the platform could not derive', err);
  }
  if (bits.byteLength !== COORDINATE_BYTES) failed('the platform gave a result of the wrong length');
  const x = bytesToBigint(new Uint8Array(bits));
  // All zeros is how a platform might spell the point at infinity: never a result to pass on.
  if (x === 0n) failed('the platform gave no point');
  try {
    return pointFromX(x);
  } catch (err) {
    return failed('the platform gave an x that is not on the curve', err);
  }
}

/**
 * scalar · point with the platform's WebCrypto ECDH (`subtle`: default `globalThis.crypto.subtle`);
 * returns the point with the even y.
 */
export async function multiplyWithWebCrypto(point: Point, scalar: bigint, subtle?: SubtleCrypto): Promise<Point> {
  assertScalar(scalar);
  subtle ??= platformSubtle();
  const [privateKey, publicKey] = await Promise.all([importScalar(subtle, scalar), importPoint(subtle, point)]);
  return derive(subtle, privateKey, publicKey);
}

/** A key pair the platform generates; its private scalar, read once, is r (r = 1, chance 1/n, is drawn again). */
async function generateScalar(subtle: SubtleCrypto): Promise<{ key: CryptoKey; scalar: bigint }> {
  for (;;) {
    let key: CryptoKey;
    let d: unknown;
    try {
      key = ((await subtle.generateKey(ECDH_P521, true, ['deriveBits'])) as CryptoKeyPair).privateKey;
      d = (await subtle.exportKey('jwk', key)).d;
    } catch (err) {
      return failed('the platform could not generate a key', err);
    }
    const bytes = typeof d === 'string' ? fromBase64Url(d, 'd') : undefined;
    if (bytes === undefined || bytes.length !== COORDINATE_BYTES) return failed('the platform gave a malformed key');
    const scalar = bytesToBigint(bytes);
    bytes.fill(0);
    if (scalar < 1n || scalar >= N) failed('the platform gave a key out of range');
    if (scalar >= 2n) return { key, scalar };
  }
}

/**
 * r · point for a fresh r, uniform in [2, n−1], that the platform generates (a key pair), with r:
 * the {@link FreshProduct} that blinding uses.
 */
export async function multiplyByFreshScalarWithWebCrypto(point: Point, subtle?: SubtleCrypto): Promise<FreshProduct> {
  subtle ??= platformSubtle();
  const [{ key, scalar }, publicKey] = await Promise.all([generateScalar(subtle), importPoint(subtle, point)]);
  return Object.freeze({ point: await derive(subtle, key, publicKey), scalar });
}

/**
 * The WebCrypto {@link ScalarMultiplier} (name `webcrypto`). It throws
 * `ERR_PSEUDO_MULTIPLICATION_FAILED` where the platform lacks ECDH on P-521; see
 * {@link webCryptoOrNobleMultiplier} for the one that falls back to pure JS.
 */
export const webCryptoMultiplier: ScalarMultiplier = Object.freeze({
  name: 'webcrypto',
  multiply: (point: Point, scalar: bigint): Promise<Point> => multiplyWithWebCrypto(point, scalar),
  multiplyByFreshScalar: (point: Point): Promise<FreshProduct> => multiplyByFreshScalarWithWebCrypto(point),
});

// A public check, not a secret: 3·(2·G) must come out as 6·G (by additions, in pure JS).
const PROBE_SCALAR = 3n;
let detection: Promise<boolean> | undefined;
let chosen: ScalarMultiplier | undefined;

/**
 * Whether this platform's WebCrypto multiplies on P-521 correctly (ECDH, JWK private keys, raw
 * public keys, generated key pairs read back, `deriveBits` of 528 bits), checked once against
 * pure JS; false where any part is missing or wrong.
 */
export function webCryptoMultiplierWorks(): Promise<boolean> {
  detection ??= (async () => {
    try {
      const point = addPoints(GENERATOR, GENERATOR);
      const expected = addPoints(addPoints(point, point), point);
      if ((await multiplyWithWebCrypto(point, PROBE_SCALAR)).x !== expected.x) return false;
      const fresh = await multiplyByFreshScalarWithWebCrypto(point);
      return fresh.point.x === multiplyPoint(point, fresh.scalar).x;
    } catch {
      return false;
    }
  })();
  return detection;
}

async function choose(): Promise<ScalarMultiplier> {
  chosen ??= (await webCryptoMultiplierWorks()) ? webCryptoMultiplier : nobleMultiplier;
  return chosen;
}

/**
 * WebCrypto where it works ({@link webCryptoMultiplierWorks}, checked on the first
 * multiplication), else the pure-JS {@link nobleMultiplier}. Its `name` is `webcrypto` or `noble`
 * once the check has run (`webcrypto-or-noble` before): the one that multiplies.
 */
export const webCryptoOrNobleMultiplier: ScalarMultiplier = Object.freeze({
  get name(): string {
    return chosen?.name ?? 'webcrypto-or-noble';
  },
  async multiply(point: Point, scalar: bigint): Promise<Point> {
    return (await choose()).multiply(point, scalar);
  },
  async multiplyByFreshScalar(point: Point): Promise<FreshProduct> {
    const multiplier = await choose();
    if (multiplier.multiplyByFreshScalar !== undefined) return multiplier.multiplyByFreshScalar(point);
    const scalar = randomScalar();
    return Object.freeze({ point: await multiplier.multiply(point, scalar), scalar });
  },
});
