/**
 * The owner's RSA key pairs: the private keys that unwrap its domains' secret keys, and the
 * public JWKS it must publish at its JWKS URL (`jku`) so that the service wraps keys for it.
 *
 * Private keys come in the forms owners hold them (see `owner-key-forms.ts`): PEM (PKCS#8,
 * encrypted PKCS#8, PKCS#1, alone or bundled with the certificate), a private JWK (object or
 * text, with `x5c` if any), PKCS#12 bytes with a password, a Node `KeyObject` or an extractable
 * `CryptoKey`; RSA of at least 2048 bits. Each key's `kid` is the one given, else the JWK's, else
 * its RFC 7638 thumbprint. The JWKS is built from an allow-list of public fields (`kty n e kid use
 * alg x5c x5t#S256`), with `x5c` and `x5t#S256` when the key comes with its certificate (the
 * Java client finds its key by that thumbprint). A key or certificate that cannot serve throws
 * an {@link OwnerError} `ERR_OWNER_INVALID_OWNER_KEY` that says what was found.
 */
import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, importJWK } from 'jose';
import {
  KEY_ENCRYPTION_ALG,
  MIN_RSA_MODULUS_BITS,
  fromBase64,
  fromBase64Url,
  rsaModulusBits,
  toBase64,
  toBase64Url,
} from '@blindpseudo/core';
import {
  type KeyMaterial,
  certificateModulus,
  fromJwkObject,
  invalidOwnerKey,
  readKeyMaterial,
} from './owner-key-forms.js';

/** A Node `KeyObject`, structurally (so that this module needs no Node types at run time). */
export interface KeyObjectLike {
  readonly type: string;
  readonly asymmetricKeyType?: string;
  export(options: { format: 'jwk' }): JWK;
}

export type OwnerPrivateKey = string | Uint8Array | JWK | KeyObjectLike | CryptoKey;

export interface OwnerKeyInput {
  /**
   * The private key (RSA ≥ 2048 bits): PEM text (PKCS#8, encrypted PKCS#8, PKCS#1, optionally
   * with its certificate), private JWK (object or JSON text), the bytes of a key file (PEM, JWK,
   * DER or a PKCS#12 keystore), a Node KeyObject, or an extractable CryptoKey.
   */
  privateKey: OwnerPrivateKey;
  /** The password of a PKCS#12 keystore or an ENCRYPTED PRIVATE KEY. */
  password?: string;
  /** The friendly name of the key to take from a PKCS#12 keystore holding several. */
  alias?: string;
  /** The key id to publish (default: the JWK's `kid`, else its RFC 7638 thumbprint). */
  kid?: string;
  /** The key's X.509 certificate (PEM), when it does not come with the key: adds `x5c` and `x5t#S256`. */
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
  readonly x5c?: readonly string[];
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

async function toKeyMaterial(input: OwnerKeyInput): Promise<KeyMaterial> {
  const key = input.privateKey;
  if (typeof key === 'string' || key instanceof Uint8Array) return readKeyMaterial(key, input.password, input.alias);
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  if (CryptoKeyClass !== undefined && key instanceof CryptoKeyClass) {
    if (!(key as CryptoKey).extractable) throw new TypeError('privateKey CryptoKey must be extractable');
    return { jwk: await exportJWK(key as CryptoKey), certificates: [] };
  }
  if (isKeyObject(key)) {
    if (key.type !== 'private') throw new TypeError('privateKey KeyObject must be a private key');
    return { jwk: key.export({ format: 'jwk' }) as JWK, certificates: [] };
  }
  if (typeof key === 'object' && key !== null) return fromJwkObject(key);
  throw new TypeError('privateKey must be a PEM or JWK string, key file bytes, a JWK, a KeyObject or a CryptoKey');
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** DER of a PEM certificate. */
function certificateDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw invalidOwnerKey('the certificate is not a PEM X.509 certificate');
  try {
    return fromBase64(match[1]!.replace(/\s+/g, ''), 'certificate');
  } catch (err) {
    throw invalidOwnerKey('the certificate PEM is not valid Base64', err);
  }
}

/** The certificate (DER) for this key among those given, or undefined when none was given. */
function certificateFor(modulus: Uint8Array, input: OwnerKeyInput, material: KeyMaterial): Uint8Array | undefined {
  if (input.certificate !== undefined && typeof input.certificate !== 'string') {
    throw new TypeError('certificate must be a PEM string');
  }
  const candidates = input.certificate === undefined ? material.certificates : [certificateDer(input.certificate)];
  if (candidates.length === 0) return undefined;
  const wanted = toBase64Url(stripZeros(modulus));
  const match = candidates.find((der) => certificateModulus(der) === wanted);
  if (match === undefined) {
    throw invalidOwnerKey(
      candidates.length === 1
        ? 'the certificate is not for this key'
        : `none of the ${candidates.length} certificates is for this key`,
    );
  }
  return match;
}

async function sha256Base64Url(bytes: Uint8Array): Promise<string> {
  return toBase64Url(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', Uint8Array.from(bytes))));
}

/** The RSA private JWK of a key source, checked: RSA, private, ≥ 2048 bits. */
function checkedRsaJwk(jwk: JWK): JWK & { n: string; e: string; d: string } {
  if (jwk.kty !== 'RSA') throw invalidOwnerKey(`found a ${String(jwk.kty)} key; owner keys are RSA`);
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw invalidOwnerKey('the RSA JWK has no n or e');
  if (typeof jwk.d !== 'string') throw invalidOwnerKey('found a public key; the owner needs its private key');
  return jwk as JWK & { n: string; e: string; d: string };
}

/** Loads one owner key pair; throws an OwnerError on a key that cannot be read or serve. */
export async function loadOwnerKey(input: OwnerKeyInput): Promise<OwnerKey> {
  if (typeof input !== 'object' || input === null) throw new TypeError('owner key must be an object');
  const material = await toKeyMaterial(input);
  const jwk = checkedRsaJwk(material.jwk);
  const modulus = fromBase64Url(jwk.n, 'n');
  const bits = rsaModulusBits(modulus);
  if (bits < MIN_RSA_MODULUS_BITS)
    throw invalidOwnerKey(`found a ${bits}-bit RSA key; owner keys need at least ${MIN_RSA_MODULUS_BITS}`);
  const publicJwk = { kty: 'RSA' as const, n: jwk.n, e: jwk.e };
  const kid =
    input.kid ??
    (typeof jwk.kid === 'string' && jwk.kid.length > 0 ? jwk.kid : await calculateJwkThumbprint(publicJwk, 'sha256'));
  if (typeof kid !== 'string' || kid.length === 0) throw new TypeError('kid must be a non-empty string');

  const certificate = certificateFor(modulus, input, material);
  const thumbprint = certificate === undefined ? undefined : await sha256Base64Url(certificate);
  const claimed = (jwk as { 'x5t#S256'?: unknown })['x5t#S256'];
  if (thumbprint !== undefined && claimed !== undefined && claimed !== thumbprint) {
    throw invalidOwnerKey("the key's x5t#S256 is not the SHA-256 thumbprint of its certificate");
  }

  const { kty, n, e, d, p, q, dp, dq, qi } = jwk;
  let decryptionKey: CryptoKey;
  try {
    decryptionKey = (await importJWK(
      { kty, n, e, d, p, q, dp, dq, qi, alg: KEY_ENCRYPTION_ALG },
      KEY_ENCRYPTION_ALG,
    )) as CryptoKey;
  } catch (err) {
    throw invalidOwnerKey('the RSA private key is malformed', err);
  }
  const publicKey: PublishedKey = Object.freeze({
    ...publicJwk,
    kid,
    use: 'enc' as const,
    alg: KEY_ENCRYPTION_ALG,
    ...(certificate === undefined
      ? {}
      : { x5c: Object.freeze([toBase64(certificate)]), 'x5t#S256': thumbprint as string }),
  });
  return Object.freeze({ kid, publicKey, decryptionKey });
}

/** The JWKS to publish at the owner's `jku`: public fields only. */
export function buildJwks(keys: readonly OwnerKey[]): Jwks {
  return Object.freeze({ keys: Object.freeze(keys.map((k) => k.publicKey)) });
}
