/**
 * Unwrapping a domain's `secretKeys` (its transitInfo keys) with the owner's private keys.
 *
 * Each entry's `encoded` is a JWE in general JSON serialization: protected `{"enc":"A256GCM"}`,
 * `iv`, `ciphertext`, `tag`, optionally `"aad": ""` (empty means none), and one recipient per
 * public key allowed to read it, `{header: {alg: "RSA-OAEP-256", kid, jku}, encrypted_key}`.
 * The owner decrypts only when its own JWKS URL is in the document's `jku` list (exact match),
 * only the recipient whose `header.jku` is that URL, with its private key found by `kid` (or by
 * `x5t#S256`). The plaintext is `{"kty":"oct","k":"<32 bytes>","alg":"A256GCM"}`.
 *
 * Any failure throws: a document that names this owner but gives it a key it cannot read is
 * suspect, and is not used half-way.
 */
import { type FlattenedJWE, flattenedDecrypt } from 'jose';
import { TRANSIT_INFO_ENC, fromBase64Url } from '@blindpseudo/core';
import type { DomainDocument } from '@blindpseudo/client';
import { OwnerError, OwnerErrorCodes } from './errors.js';
import { KEY_ENCRYPTION_ALG, type OwnerKey } from './owner-keys.js';

/** A domain's transitInfo key, unwrapped. */
export interface TransitKey {
  readonly kid: string;
  readonly active: boolean;
  /** 32 raw bytes (AES-256). */
  readonly key: Uint8Array;
}

function invalid(why: string): never {
  throw new OwnerError(OwnerErrorCodes.INVALID_SECRET_KEY, `invalid secret key: ${why}`);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

async function unwrapOne(encoded: unknown, jku: string, keys: readonly OwnerKey[]): Promise<Uint8Array> {
  const jwe = record(encoded);
  if (jwe === undefined || !Array.isArray(jwe.recipients))
    invalid('encoded is not a JWE in general JSON serialization');
  for (const field of ['protected', 'iv', 'ciphertext', 'tag'] as const) {
    if (typeof jwe[field] !== 'string') invalid(`encoded.${field} is missing`);
  }
  if (jwe.aad !== undefined && typeof jwe.aad !== 'string') invalid('encoded.aad must be a string');
  const ours = jwe.recipients.map(record).filter((r) => record(r?.header)?.jku === jku);
  if (ours.length === 0)
    throw new OwnerError(OwnerErrorCodes.NOT_A_RECIPIENT, 'no recipient of the secret key is this owner');
  let chosen: { recipient: Record<string, unknown>; key: OwnerKey } | undefined;
  for (const recipient of ours) {
    const header = record(recipient!.header)!;
    const key = keys.find((k) =>
      header.kid !== undefined
        ? header.kid === k.kid
        : header['x5t#S256'] !== undefined && header['x5t#S256'] === k.publicKey['x5t#S256'],
    );
    if (key !== undefined) {
      chosen = { recipient: recipient!, key };
      break;
    }
  }
  if (chosen === undefined)
    throw new OwnerError(OwnerErrorCodes.UNKNOWN_OWNER_KEY, 'the secret key is wrapped for an owner key not held');
  if (typeof chosen.recipient.encrypted_key !== 'string') invalid('encrypted_key is missing');

  const flattened: FlattenedJWE = {
    protected: jwe.protected as string,
    iv: jwe.iv as string,
    ciphertext: jwe.ciphertext as string,
    tag: jwe.tag as string,
    header: chosen.recipient.header as FlattenedJWE['header'],
    encrypted_key: chosen.recipient.encrypted_key,
    // An empty aad means none: the additional data is then the protected header alone.
    ...(typeof jwe.aad === 'string' && jwe.aad.length > 0 ? { aad: jwe.aad } : {}),
  };
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await flattenedDecrypt(flattened, chosen.key.decryptionKey, {
      keyManagementAlgorithms: [KEY_ENCRYPTION_ALG],
      contentEncryptionAlgorithms: [TRANSIT_INFO_ENC],
    }));
  } catch (err) {
    throw new OwnerError(OwnerErrorCodes.KEY_UNWRAP_FAILED, 'the secret key could not be unwrapped', { cause: err });
  }
  let jwk: Record<string, unknown> | undefined;
  try {
    jwk = record(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)));
  } catch {
    jwk = undefined;
  } finally {
    plaintext.fill(0);
  }
  if (jwk === undefined || jwk.kty !== 'oct' || typeof jwk.k !== 'string') invalid('the key is not an oct JWK');
  if (jwk.alg !== undefined && jwk.alg !== TRANSIT_INFO_ENC) invalid('the key is not for A256GCM');
  let key: Uint8Array;
  try {
    key = fromBase64Url(jwk.k, 'k');
  } catch {
    invalid('k is not Base64url');
  }
  if (key.length !== 32) invalid('the key is not 32 bytes');
  return key;
}

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
  if (typeof jku !== 'string' || jku.length === 0) throw new TypeError('jku must be a non-empty string');
  if (!Array.isArray(keys) || keys.length === 0) throw new TypeError('keys must be a non-empty array');
  if (!document.jku.includes(jku)) {
    throw new OwnerError(
      OwnerErrorCodes.NOT_A_RECIPIENT,
      `domain ${document.domain} does not list this owner's JWKS URL`,
    );
  }
  const unwrapped: TransitKey[] = [];
  for (const entry of document.secretKeys) {
    const key = await unwrapOne(entry.encoded, jku, keys);
    unwrapped.push(Object.freeze({ kid: entry.kid, active: entry.active, key }));
  }
  return Object.freeze(unwrapped);
}
