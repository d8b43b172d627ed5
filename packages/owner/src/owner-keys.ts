/**
 * The owner's RSA key pairs: the private keys that unwrap its domains' secret keys, and the
 * public JWKS it must publish at its JWKS URL (`jku`) so that the service wraps keys for it.
 *
 * Private keys come as PKCS#8 PEM, a private JWK, a Node `KeyObject` or an extractable
 * `CryptoKey`; RSA of at least 2048 bits. Each key's `kid` is the one given, else the JWK's,
 * else its RFC 7638 thumbprint. The JWKS is built from an allow-list of public fields
 * (`kty n e kid use alg x5t#S256`), with `x5t#S256` when a certificate is given (the Java client
 * finds its key by that thumbprint).
 */
import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, importJWK, importPKCS8 } from 'jose';
import { fromBase64, fromBase64Url, toBase64Url } from '@blindpseudo/core';

export const KEY_ENCRYPTION_ALG = 'RSA-OAEP-256';
const MIN_MODULUS_BITS = 2048;

/** A Node `KeyObject`, structurally (so that this module needs no Node types at run time). */
export interface KeyObjectLike {
  readonly type: string;
  readonly asymmetricKeyType?: string;
  export(options: { format: 'jwk' }): JWK;
}

export type OwnerPrivateKey = string | JWK | KeyObjectLike | CryptoKey;

export interface OwnerKeyInput {
  /** PKCS#8 PEM, private JWK, Node KeyObject, or extractable CryptoKey (RSA ≥ 2048 bits). */
  privateKey: OwnerPrivateKey;
  /** The key id to publish (default: the JWK's `kid`, else its RFC 7638 thumbprint). */
  kid?: string;
  /** The key's X.509 certificate (PEM): adds `x5t#S256` to the published key. */
  certificate?: string;
}

/** A public key as the owner publishes it. */
export interface PublishedKey {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly use: 'enc';
  readonly alg: typeof KEY_ENCRYPTION_ALG;
  readonly 'x5t#S256'?: string;
}

export interface Jwks {
  readonly keys: readonly PublishedKey[];
}

/** One loaded owner key: what it publishes, and how it decrypts. */
export interface OwnerKey {
  readonly kid: string;
  readonly publicKey: PublishedKey;
  /** The RSA-OAEP-256 private key, for unwrapping. */
  readonly decryptionKey: CryptoKey;
}

function isKeyObject(key: unknown): key is KeyObjectLike {
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof (key as KeyObjectLike).export === 'function' &&
    typeof (key as KeyObjectLike).type === 'string'
  );
}

async function toPrivateJwk(key: OwnerPrivateKey): Promise<JWK> {
  if (typeof key === 'string') {
    if (!key.includes('-----BEGIN PRIVATE KEY-----'))
      throw new TypeError('privateKey PEM must be PKCS#8 (BEGIN PRIVATE KEY)');
    return exportJWK(await importPKCS8(key, KEY_ENCRYPTION_ALG, { extractable: true }));
  }
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  if (CryptoKeyClass !== undefined && key instanceof CryptoKeyClass) {
    if (!(key as CryptoKey).extractable) throw new TypeError('privateKey CryptoKey must be extractable');
    return exportJWK(key as CryptoKey);
  }
  if (isKeyObject(key)) {
    if (key.type !== 'private') throw new TypeError('privateKey KeyObject must be a private key');
    return key.export({ format: 'jwk' }) as JWK;
  }
  if (typeof key === 'object' && key !== null) return key as JWK;
  throw new TypeError('privateKey must be a PEM string, a JWK, a KeyObject or a CryptoKey');
}

function modulusBits(n: Uint8Array): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  return i === n.length ? 0 : (n.length - i) * 8 - (Math.clz32(n[i]!) - 24);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** DER of a PEM certificate. */
function certificateDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new TypeError('certificate must be a PEM X.509 certificate');
  try {
    return fromBase64(match[1]!.replace(/\s+/g, ''), 'certificate');
  } catch {
    throw new TypeError('certificate PEM is not valid Base64');
  }
}

/** Loads one owner key pair; throws TypeError / RangeError on a key that cannot serve. */
export async function loadOwnerKey(input: OwnerKeyInput): Promise<OwnerKey> {
  if (typeof input !== 'object' || input === null) throw new TypeError('owner key must be an object');
  const jwk = await toPrivateJwk(input.privateKey);
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new TypeError('owner key must be an RSA key');
  }
  if (typeof jwk.d !== 'string') throw new TypeError('owner key must be a private key');
  const modulus = fromBase64Url(jwk.n, 'n');
  if (modulusBits(modulus) < MIN_MODULUS_BITS)
    throw new RangeError(`owner key must have at least ${MIN_MODULUS_BITS} bits`);
  const publicJwk = { kty: 'RSA' as const, n: jwk.n, e: jwk.e };
  const kid =
    input.kid ??
    (typeof jwk.kid === 'string' && jwk.kid.length > 0 ? jwk.kid : await calculateJwkThumbprint(publicJwk, 'sha256'));
  if (typeof kid !== 'string' || kid.length === 0) throw new TypeError('kid must be a non-empty string');

  let thumbprint: string | undefined;
  if (input.certificate !== undefined) {
    if (typeof input.certificate !== 'string') throw new TypeError('certificate must be a PEM string');
    const der = certificateDer(input.certificate);
    // The certificate's SubjectPublicKeyInfo holds the modulus verbatim: a cheap, sure match.
    let trimmed = modulus;
    while (trimmed.length > 0 && trimmed[0] === 0) trimmed = trimmed.subarray(1);
    if (indexOf(der, trimmed) < 0) throw new TypeError('certificate is not for this key');
    thumbprint = toBase64Url(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', Uint8Array.from(der))));
  }

  const { kty, n, e, d, p, q, dp, dq, qi } = jwk;
  const decryptionKey = (await importJWK(
    { kty, n, e, d, p, q, dp, dq, qi, alg: KEY_ENCRYPTION_ALG },
    KEY_ENCRYPTION_ALG,
  )) as CryptoKey;
  const publicKey: PublishedKey = Object.freeze({
    ...publicJwk,
    kid,
    use: 'enc' as const,
    alg: KEY_ENCRYPTION_ALG,
    ...(thumbprint === undefined ? {} : { 'x5t#S256': thumbprint }),
  });
  return Object.freeze({ kid, publicKey, decryptionKey });
}

/** The JWKS to publish at the owner's `jku`: public fields only. */
export function buildJwks(keys: readonly OwnerKey[]): Jwks {
  return Object.freeze({ keys: Object.freeze(keys.map((k) => k.publicKey)) });
}
